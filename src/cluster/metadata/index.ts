export { ClusterMetadata, type ClusterMetadataOptions, MetadataFullError } from "./cluster-metadata.js";
