// The ringkv dashboard: polls GET /cluster/overview about once a second and redraws. Every piece
// of data reaches the page through textContent or an attribute, never as markup: node ids and
// error text come from outside.

const POLL_INTERVAL_MS = 1000;
const REQUEST_TIMEOUT_MS = 5000;
const SVG_NS = "http://www.w3.org/2000/svg";
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#76b7b2",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#86bc86",
  "#6b6ecf",
  "#d37295",
];

/** A stable colour per node id: palette order of the sorted ids, then golden-angle hues. */
function colourOf(ids, id) {
  const i = ids.indexOf(id);
  if (i >= 0 && i < PALETTE.length) return PALETTE[i];
  const hue = Math.round((Math.max(i, 0) * 137.508) % 360);
  return `hsl(${hue}, 55%, 55%)`;
}

/** A partition's preference list: the clockwise walk from it collecting distinct owners. */
function preferenceList(nodes, owners, partition) {
  const list = [];
  for (let step = 0; step < owners.length; step++) {
    const id = nodes[owners[(partition + step) % owners.length]];
    if (id !== undefined && !list.includes(id)) list.push(id);
  }
  return list;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function cell(row, text, options = {}) {
  const td = el("td", text, options.className);
  if (options.field !== undefined) td.dataset.field = options.field;
  if (options.value !== undefined) td.dataset.value = String(options.value);
  row.append(td);
  return td;
}

function formatCount(n) {
  return Number.isFinite(n) ? n.toLocaleString("en-US") : "–";
}

function formatBytes(n) {
  if (!Number.isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function formatRate(n) {
  if (n === 0) return "0";
  if (n < 10) return n.toFixed(1);
  return Math.round(n).toLocaleString("en-US");
}

function formatMs(ms) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1) return ms.toFixed(2);
  if (ms < 10) return ms.toFixed(1);
  return Math.round(ms).toLocaleString("en-US");
}

function formatAge(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 60) return `${seconds.toFixed(1)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
}

/** An arc of the ring from angle a0 to a1 (radians, 0 at the top, clockwise) between two radii. */
function arcPath(a0, a1, inner, outer) {
  const point = (a, r) => `${(Math.sin(a) * r).toFixed(3)} ${(-Math.cos(a) * r).toFixed(3)}`;
  const large = a1 - a0 > Math.PI ? 1 : 0;
  return [
    `M ${point(a0, outer)}`,
    `A ${outer} ${outer} 0 ${large} 1 ${point(a1, outer)}`,
    `L ${point(a1, inner)}`,
    `A ${inner} ${inner} 0 ${large} 0 ${point(a0, inner)}`,
    "Z",
  ].join(" ");
}

function renderRing(overview, ids, statusOf) {
  const { nodes, owners, n } = overview.ring;
  const svg = document.getElementById("ring");
  const children = [];
  const q = owners.length;
  for (let p = 0; p < q; p++) {
    const owner = nodes[owners[p]];
    const path = document.createElementNS(SVG_NS, "path");
    const a0 = (2 * Math.PI * p) / q;
    // A whole circle cannot be one arc; a one-partition ring is drawn as a slightly open one.
    const a1 = q === 1 ? 2 * Math.PI - 0.0001 : (2 * Math.PI * (p + 1)) / q;
    path.setAttribute("d", arcPath(a0, a1, 62, 100));
    path.setAttribute("fill", colourOf(ids, owner));
    path.dataset.partition = String(p);
    path.dataset.owner = owner ?? "";
    if (statusOf.get(owner) === "down") path.classList.add("owner-down");
    const list = preferenceList(nodes, owners, p);
    const title = document.createElementNS(SVG_NS, "title");
    const home = list.slice(0, n);
    const fallbacks = list.slice(n);
    title.textContent =
      `partition ${p}: owner ${owner}\nhome replicas: ${home.join(", ")}` +
      (fallbacks.length > 0 ? `\nfallbacks: ${fallbacks.join(", ")}` : "");
    path.append(title);
    children.push(path);
  }
  const label = document.createElementNS(SVG_NS, "text");
  label.setAttribute("x", "0");
  label.setAttribute("y", "4");
  label.textContent = `${q} partitions`;
  children.push(label);
  svg.replaceChildren(...children);

  const legend = document.getElementById("legend");
  const counts = new Map();
  for (const o of owners) counts.set(nodes[o], (counts.get(nodes[o]) ?? 0) + 1);
  legend.replaceChildren(
    ...[...nodes].sort().map((id) => {
      const item = el("li");
      const swatch = el("span", undefined, "swatch");
      swatch.style.background = colourOf(ids, id);
      item.dataset.owner = id;
      const down = statusOf.get(id) === "down" ? " (down: its arcs are faded)" : "";
      item.append(swatch, el("span", `${id}: ${counts.get(id) ?? 0} partitions${down}`));
      return item;
    }),
  );
}

function renderMembers(overview) {
  const body = document.querySelector("#members tbody");
  body.replaceChildren(
    ...overview.members.map((m) => {
      const row = el("tr");
      row.dataset.member = m.id;
      cell(row, m.id, { field: "id" });
      cell(row, m.zone ?? "–", { field: "zone" });
      cell(row, m.state, { field: "state" });
      const status = cell(row, undefined, { field: "status", value: m.status });
      status.append(el("span", m.status, `badge ${m.status}`));
      cell(row, formatCount(m.partitions), { field: "partitions", value: m.partitions, className: "num" });
      cell(row, formatCount(m.load.keys), { field: "keys", value: m.load.keys, className: "num" });
      cell(row, formatCount(m.load.hints), { field: "hints", value: m.load.hints, className: "num" });
      cell(row, formatBytes(m.load.diskBytes), { field: "disk", value: m.load.diskBytes, className: "num" });
      const t = m.transfer;
      cell(
        row,
        t.remaining > 0
          ? `receiving: ${formatCount(t.remaining)} partitions left, ${formatCount(t.keys)} keys / ${formatBytes(t.bytes)} in`
          : t.keys > 0 || t.bytes > 0
            ? `received for ring v${t.version}: ${formatCount(t.keys)} keys / ${formatBytes(t.bytes)}`
            : "–",
        { field: "transfer", value: t.remaining },
      );
      return row;
    }),
  );
}

/** A member without figures: the reason (down, unreachable, timeout, ...) across `columns` cells. */
function unavailableRow(row, member, columns) {
  const gone = cell(row, member.statsError ?? "unreachable", {
    field: "unavailable",
    value: member.statsError,
    className: "unavailable",
  });
  gone.colSpan = columns;
  return row;
}

function renderTraffic(overview) {
  const body = document.querySelector("#traffic tbody");
  body.replaceChildren(
    ...overview.members
      .filter((m) => m.state !== "left")
      .map((m) => {
        const row = el("tr");
        row.dataset.member = m.id;
        cell(row, m.id, { field: "id" });
        const s = m.stats;
        if (s === null) return unavailableRow(row, m, 8);
        for (const op of ["get", "put", "delete"]) {
          const k = s.kv[op];
          const td = cell(row, undefined, { field: `${op}-rate`, value: k.opsPerSecond, className: "num" });
          td.append(
            el("span", `${formatRate(k.opsPerSecond)} ops/s`),
            el("span", `${formatMs(k.p50Ms)} / ${formatMs(k.p99Ms)} ms`, "sub"),
          );
        }
        const errors = s.kv.get.errorsPerSecond + s.kv.put.errorsPerSecond + s.kv.delete.errorsPerSecond;
        cell(row, formatRate(errors), { field: "errors-rate", value: errors, className: "num" });
        cell(row, formatCount(s.hints.pending), {
          field: "hints-pending",
          value: s.hints.pending,
          className: "num",
        });
        const aae = cell(row, formatAge(s.antiEntropy.lastExchangeAgeSeconds), {
          field: "aae-age",
          value: s.antiEntropy.lastExchangeAgeSeconds ?? "",
          className: "num",
        });
        aae.append(el("span", `${formatCount(s.antiEntropy.exchanges)} exchanges`, "sub"));
        cell(row, formatCount(s.antiEntropy.keysRepaired), {
          field: "aae-repaired",
          value: s.antiEntropy.keysRepaired,
          className: "num",
        });
        cell(row, formatCount(s.readRepairs), {
          field: "read-repairs",
          value: s.readRepairs,
          className: "num",
        });
        return row;
      }),
  );
  const windowSeconds = overview.members.find((m) => m.id === overview.self)?.stats?.windowSeconds;
  if (windowSeconds !== undefined) {
    document.getElementById("traffic-hint").textContent =
      `Requests each node coordinated over its last ${Math.round(windowSeconds)} s: ops/s, then p50 / p99 latency in ms.`;
  }
}

/** A count over the 24-hour span, its rate per hour below it, and the last hour's count. */
function repairCell(row, field, day, hour, spanSeconds) {
  const td = cell(row, undefined, { field, value: day, className: "num" });
  const perHour = spanSeconds > 0 ? (day * 3600) / spanSeconds : 0;
  td.append(
    el("span", formatCount(day)),
    el("span", `${formatRate(perHour)}/h · last hour ${formatCount(hour)}`, "sub"),
  );
  return td;
}

function renderRepair(overview) {
  const live = overview.members.filter((m) => m.state !== "left");
  const body = document.querySelector("#repair tbody");
  body.replaceChildren(
    ...live.map((m) => {
      const row = el("tr");
      row.dataset.member = m.id;
      cell(row, m.id, { field: "id" });
      const s = m.stats;
      if (s === null) return unavailableRow(row, m, 7);
      const { lastDay: day, lastHour: hour } = s.repair;
      for (const event of ["stored", "delivered", "expired", "refused"])
        repairCell(row, `hints-${event}`, day.hints[event], hour.hints[event], day.spanSeconds);
      repairCell(row, "aae-repaired-24h", day.aaeKeysRepaired, hour.aaeKeysRepaired, day.spanSeconds);
      repairCell(row, "read-repairs-24h", day.readRepairs, hour.readRepairs, day.spanSeconds);
      const pass = cell(row, formatAge(s.repair.aaeFullPassAgeSeconds), {
        field: "aae-full-pass",
        value: s.repair.aaeFullPassAgeSeconds ?? "",
        className: "num",
      });
      pass.append(el("span", `${formatCount(day.aaeExchanges)} partitions compared in 24 h`, "sub"));
      return row;
    }),
  );
  const targets = document.querySelector("#hint-targets tbody");
  const rows = [];
  for (const m of live) {
    if (m.stats === null) continue;
    for (const t of m.stats.repair.targets) {
      const row = el("tr");
      row.dataset.member = m.id;
      row.dataset.target = t.target;
      cell(row, m.id, { field: "holder" });
      cell(row, t.target === "" ? "(other targets)" : t.target, { field: "target" });
      cell(row, formatCount(t.pending), { field: "pending", value: t.pending, className: "num" });
      for (const event of ["stored", "delivered", "expired", "refused"])
        cell(row, formatCount(t.lastDay[event]), { field: event, value: t.lastDay[event], className: "num" });
      rows.push(row);
    }
    if (m.stats.repair.targetsOmitted > 0) {
      const row = el("tr");
      row.dataset.member = m.id;
      cell(row, m.id, { field: "holder" });
      const more = cell(row, `and ${formatCount(m.stats.repair.targetsOmitted)} quieter targets`, {
        field: "omitted",
        value: m.stats.repair.targetsOmitted,
      });
      more.colSpan = 6;
      rows.push(row);
    }
  }
  if (rows.length === 0) {
    const row = el("tr");
    const none = cell(row, "no hints held or written in the last 24 hours", { field: "none" });
    none.colSpan = 7;
    rows.push(row);
  }
  targets.replaceChildren(...rows);
}

/**
 * Namespaces with their key counts: each node reports the entries it holds per namespace
 * (GET /stats namespaceKeys); the sum over nodes divided by the namespace's n (its own, else N;
 * at most the nodes there are) is about the number of keys.
 */
function renderNamespaces(overview) {
  const body = document.querySelector("#namespaces tbody");
  const byName = new Map();
  for (const m of overview.members) {
    const counts = m.stats?.namespaceKeys;
    if (m.state === "left" || counts === undefined) continue;
    for (const { name, keys } of counts.namespaces) {
      const entry = byName.get(name) ?? { copies: 0, nodes: [] };
      entry.copies += keys;
      entry.nodes.push(`${m.id} ${formatCount(keys)}${counts.complete ? "" : " (at least)"}`);
      byName.set(name, entry);
    }
  }
  const names = [...byName.keys()].sort();
  const rows = names.map((name) => {
    const { copies, nodes } = byName.get(name);
    const row = el("tr");
    row.dataset.namespace = name;
    cell(row, name, { field: "name" });
    const n = Math.min(overview.namespaceN?.[name] ?? overview.settings.n, overview.ring.nodes.length);
    const keys = Math.round(copies / Math.max(1, n));
    cell(row, formatCount(keys), { field: "keys", value: keys, className: "num" });
    cell(row, formatCount(copies), { field: "copies", value: copies, className: "num" });
    cell(row, nodes.join(" · "), { field: "nodes" });
    return row;
  });
  if (rows.length === 0) {
    const row = el("tr");
    const none = cell(row, "no keys stored yet", { field: "none" });
    none.colSpan = 4;
    rows.push(row);
  }
  body.replaceChildren(...rows);
}

/** Redraws the ring only when what it shows changed, so a hovered partition keeps its tooltip. */
let lastRingKey = "";

function render(overview) {
  document.getElementById("self").textContent = overview.self;
  const s = overview.settings;
  document.getElementById("settings").textContent = `${s.partitions} / ${s.n} / ${s.r} / ${s.w}`;
  document.getElementById("ring-version").textContent = String(overview.ring.version);
  document.getElementById("updated").textContent = new Date(overview.generatedAtMs).toLocaleTimeString();
  const ids = overview.members.map((m) => m.id).sort();
  for (const id of overview.ring.nodes) if (!ids.includes(id)) ids.push(id);
  const statusOf = new Map(overview.members.map((m) => [m.id, m.status]));
  const ringKey = JSON.stringify([overview.ring, ids, [...statusOf]]);
  if (ringKey !== lastRingKey) {
    renderRing(overview, ids, statusOf);
    lastRingKey = ringKey;
  }
  renderMembers(overview);
  renderTraffic(overview);
  renderNamespaces(overview);
  renderRepair(overview);
}

function setConnection(state, text) {
  const banner = document.getElementById("connection");
  banner.dataset.state = state;
  banner.textContent = text;
}

// With --auth required the page asks for a token once and keeps it for this tab only
// (sessionStorage): it is sent as a bearer token, never stored in a cookie or the URL.
const TOKEN_KEY = "ringkv-token";

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

function askForToken(reason) {
  const form = document.getElementById("login");
  form.hidden = false;
  setConnection("stale", reason);
}

document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("token");
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = "";
  document.getElementById("login").hidden = true;
  setConnection("connecting", "connecting…");
});

async function poll() {
  try {
    const res = await fetch("/cluster/overview", {
      cache: "no-store",
      headers: authHeaders(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (res.status === 401) {
      const hadToken = sessionStorage.getItem(TOKEN_KEY) !== null;
      sessionStorage.removeItem(TOKEN_KEY);
      askForToken(hadToken ? "that token was refused; enter another" : "this node requires a token");
      return;
    }
    const body = await res.json();
    if (!res.ok) throw new Error(`${res.status} ${body.error ?? ""}: ${body.message ?? ""}`);
    render(body);
    setConnection("live", "live");
  } catch (error) {
    setConnection("stale", `not updating: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    setTimeout(poll, POLL_INTERVAL_MS);
  }
}

poll();
