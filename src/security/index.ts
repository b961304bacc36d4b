export { type CertsRequest, type CertsResult, makeClusterCerts } from "./certs.js";
