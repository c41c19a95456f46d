/**
 * The status page: one HTML document with its CSS and script inline (no build step, no external
 * asset), which polls the JSON snapshot every second and redraws the services, channels, queues
 * and health checks. Everything from the server is put in the page as text, never as markup.
 * @module
 */

/** The path the page polls for its {@link StatusSnapshot} JSON. */
export const statusSnapshotPath = '/status/snapshot';

/** The page's HTML: `title` in the heading and `<title>`, the page polling `snapshotPath` every `pollMs`. */
export function renderStatusPage(options: { readonly title?: string; readonly snapshotPath?: string; readonly pollMs?: number } = {}): string {
  const title = escapeHtml(options.title ?? 'hostkit samples');
  const config = JSON.stringify({ snapshotPath: options.snapshotPath ?? statusSnapshotPath, pollMs: options.pollMs ?? 1000 }).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} status</title>
<style>
  :root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --idle: #6e7781; --line: #d0d7de80; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem; padding: 1.5rem; }
  header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
  h1 { font-size: 1.4rem; margin: 0; }
  h2 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
  #live { font-size: .85rem; color: var(--idle); }
  #live.lost { color: var(--bad); font-weight: 600; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-weight: 600; font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--idle); }
  td.num { font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-size: .8rem; font-weight: 600; color: #fff; background: var(--idle); }
  .badge[data-state="running"], .badge[data-state="healthy"], .badge[data-state="ready"] { background: var(--ok); }
  .badge[data-state="restarting"], .badge[data-state="campaigning"], .badge[data-state="degraded"] { background: var(--warn); }
  .badge[data-state="faulted"], .badge[data-state="unhealthy"], .badge[data-state="not ready"] { background: var(--bad); }
  .muted { color: var(--idle); }
  .empty { color: var(--idle); font-style: italic; }
</style>
</head>
<body>
<header>
  <h1>${title}</h1>
  <span id="summary" class="muted"></span>
  <span id="live">connecting...</span>
</header>
<h2>Services</h2>
<table id="services"><thead><tr><th>service</th><th>state</th><th>last run</th><th>next run</th><th>restarts</th><th>leader</th><th>fencing token</th></tr></thead><tbody></tbody></table>
<h2>Channels</h2>
<table id="channels"><thead><tr><th>channel</th><th>depth</th><th>dropped</th></tr></thead><tbody></tbody></table>
<h2>Work queues</h2>
<table id="queues"><thead><tr><th>queue</th><th>waiting</th><th>in flight</th><th>dead letters</th></tr></thead><tbody></tbody></table>
<h2>Health checks</h2>
<table id="health"><thead><tr><th>check</th><th>status</th><th>description</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
(() => {
  const config = ${config};
  const when = (iso) => {
    if (!iso) return "";
    const date = new Date(iso);
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    const relative = Math.abs(seconds) < 90 ? (seconds >= 0 ? "in " + seconds + " s" : -seconds + " s ago") : date.toLocaleString();
    return relative;
  };
  const cell = (text, className) => {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text == null ? "" : String(text);
    return td;
  };
  const badge = (state, title) => {
    const td = document.createElement("td");
    const span = document.createElement("span");
    span.className = "badge state";
    span.dataset.state = state;
    span.textContent = state;
    if (title) span.title = title;
    td.append(span);
    return td;
  };
  const fill = (id, rows, columns, empty) => {
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren();
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      const td = cell(empty, "empty");
      td.colSpan = columns;
      tr.append(td);
      body.append(tr);
      return;
    }
    for (const row of rows) body.append(row);
  };
  const render = (s) => {
    document.getElementById("summary").textContent = s.runtime + (s.replica ? " - replica " + s.replica : "") + " - " + s.readiness + " - health " + s.health.status;
    fill("services", s.services.map((service) => {
      const tr = document.createElement("tr");
      tr.dataset.service = service.name;
      tr.append(
        cell(service.name),
        badge(service.state, service.fault || ""),
        cell(when(service.lastRun)),
        cell(when(service.nextRun)),
        cell(service.restarts, "num"),
        cell(service.leader === null ? "" : service.leader ? "leader" : "follower"),
        cell(service.fencingToken === null ? "" : service.fencingToken, "num"),
      );
      return tr;
    }), 7, "no services");
    fill("channels", s.channels.map((channel) => {
      const tr = document.createElement("tr");
      tr.dataset.channel = channel.name;
      tr.append(cell(channel.name), cell(channel.depth, "num"), cell(channel.dropped, "num"));
      return tr;
    }), 3, "no channels");
    fill("queues", s.queues.map((queue) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = queue.name;
      tr.append(cell(queue.name + (queue.error ? " (" + queue.error + ")" : "")), cell(queue.waiting, "num"), cell(queue.inFlight, "num"), cell(queue.dead, "num"));
      return tr;
    }), 4, "no work queues (cluster mode only)");
    fill("health", s.health.checks.map((check) => {
      const tr = document.createElement("tr");
      tr.dataset.check = check.name;
      tr.append(cell(check.name), badge(check.status), cell(check.description));
      return tr;
    }), 3, "no health checks");
  };
  const live = document.getElementById("live");
  const poll = async () => {
    try {
      const response = await fetch(config.snapshotPath, { headers: { accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      render(await response.json());
      live.className = "";
      live.textContent = "updated " + new Date().toLocaleTimeString();
    } catch (error) {
      live.className = "lost";
      live.textContent = "connection lost (" + error.message + "); retrying";
    } finally {
      setTimeout(poll, config.pollMs);
    }
  };
  poll();
})();
</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
