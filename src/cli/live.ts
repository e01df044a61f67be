// The live page of `zswap run --serve`: on loopback, `/` is a page whose charts follow the run
// (uPlot and our scripts inlined: it loads nothing else), `/events` streams snapshots of the
// run to it (server-sent events, each a whole snapshot, sent every LIVE_PUSH_MS when changed),
// and `/metrics` is each configuration's statistics for Prometheus, labelled `config`.

import type { ServerResponse } from "node:http";
import { LIVE_PUSH_MS, LIVE_UNSENT_BYTES_MAX } from "../constants.ts";
import { httpServe, httpText } from "../http-server.ts";
import { METRICS_CONTENT_TYPE, statsPrometheus } from "../stats/index.ts";
import { latencyDistribution } from "../workload/histogram.ts";
import type { RunPlan } from "../workload/plan.ts";
import { CONFIGS, type ConfigName, type LiveRun } from "../workload/run.ts";
import { chartSpecs, escapeHtml, figuresHtml, inlinedScript, pageAssets } from "./html.ts";

export interface LiveServer {
  /** `http://127.0.0.1:port`, the page at `/`. */
  readonly url: string;
  /** A configuration's run starting: the page and /metrics follow it from now on. */
  onStart(config: ConfigName, live: LiveRun): void;
  /** The progress line, shown on the page. */
  progress(line: string): void;
  /** Sends the last snapshot as the stream's end, then closes every connection and the server. */
  end(): Promise<void>;
}

function livePage(plan: RunPlan, version: string): string {
  const assets = pageAssets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zswap run, live: ${escapeHtml(plan.workload)}</title>
${assets.styles}
</head>
<body>
<header>
<h1>zswap run, live</h1>
<p>zswap-ts ${escapeHtml(version)} &middot; ${escapeHtml(plan.workload)} &middot; ${plan.configs.length} configurations, ${plan.runs === 1 ? "one run" : `${plan.runs} runs`} each &middot; <a href="/metrics">/metrics</a></p>
<p id="status">connecting</p>
</header>
<main>
<div class="charts">
${figuresHtml(chartSpecs([]))}
</div>
</main>
${assets.scripts}
${inlinedScript("live.js")}
</body>
</html>
`;
}

/** Serves the live page of `plan` on 127.0.0.1:`port` (0: a free one). */
export async function liveServe(plan: RunPlan, version: string, port: number): Promise<LiveServer> {
  /** Each configuration's latest run. */
  const runs = new Map<ConfigName, LiveRun>();
  let progress = "starting";
  const streams = new Set<ServerResponse>();
  const snapshot = () => {
    const inputs = plan.configs.flatMap((name) => {
      const r = runs.get(name);
      if (r === undefined) return [];
      const distribution = latencyDistribution(r.latencies);
      return [{ name, label: CONFIGS[name].label, series: r.series, distribution }];
    });
    return JSON.stringify({ progress, charts: chartSpecs(inputs) });
  };
  const send = (res: ServerResponse, data: string, event = "message") => {
    if (res.writableLength <= LIVE_UNSENT_BYTES_MAX)
      res.write(`event: ${event}\ndata: ${data}\n\n`);
  };
  let sent = "";
  const timer = setInterval(() => {
    if (streams.size === 0) return;
    const data = snapshot();
    if (data === sent) return;
    sent = data;
    for (const res of streams) send(res, data);
  }, LIVE_PUSH_MS);
  const page = livePage(plan, version);
  const metrics = () =>
    statsPrometheus(
      [...runs].map(([config, r]) => ({ labels: { config }, stats: r.space.stats() })),
    );
  const server = await httpServe(
    {
      "/": (_req, res) => httpText(res, 200, page, "text/html"),
      "/metrics": (_req, res) => httpText(res, 200, metrics(), METRICS_CONTENT_TYPE),
      "/events": (_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
        streams.add(res);
        res.on("close", () => streams.delete(res));
        send(res, snapshot());
      },
    },
    { port },
  ).catch((error) => {
    clearInterval(timer);
    throw error;
  });
  return {
    url: server.url,
    onStart: (config, live) => runs.set(config, live),
    progress: (line) => {
      progress = line;
    },
    async end() {
      clearInterval(timer);
      const data = snapshot();
      for (const res of streams) {
        send(res, data, "end");
        res.end();
      }
      await server.close();
    },
  };
}
