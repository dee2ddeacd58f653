#!/usr/bin/env node
// A minimal ThingSpace client in Node.js 20 (standard library only):
// profile deletes, line suspends and restores, request status, and a
// listener for DeviceProfileService and CarrierService callbacks. Its
// adapter speaks the contract suite's protocol over HTTP
// (features/ADAPTER.md), with every capability (retry-after, status,
// carrier): one POST per request, JSON in, JSON out.
//
//   node adapter.mjs [--listen 127.0.0.1:0] [--listener-addr 127.0.0.1:0] [--listener-host HOST]
//
// --listen is where the adapter serves the suite; --listener-addr, where
// the client's callback listener listens, and --listener-host the host name
// the suite reaches that listener at (when it runs in another container).
// It prints "adapter listening on http://HOST:PORT/" once it serves; run
// `tssim contract --adapter-url http://HOST:PORT/` against it.
import http from "node:http";
import { parseArgs } from "node:util";

// A session ThingSpace says expired, or no longer knows: log in again.
const SESSION_GONE = [
  "UnifiedWebService.REQUEST_FAILED.SessionToken.Expired",
  "UnifiedWebService.INPUT_INVALID.SessionToken.Invalid",
];
const INVALID_TOKEN = "900901";
// A call answered 429 or 503 was not served: it is sent again, up to
// RETRIES times, after Retry-After seconds (at most MAX_RETRY_AFTER), or
// 1, 2, 4 seconds when the answer gives none.
const THROTTLED = [429, 503];
const RETRIES = 3;
const MAX_RETRY_AFTER = 60;
// The line-change callbacks' members of deviceResponse (CarrierService).
const LINE_RESPONSES = ["activateResponse", "deactivateResponse", "suspendResponse", "restoreResponse"];

class ApiError extends Error {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    Object.assign(this, { status, code, detail: message, retryAfter: null });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// decodeError reads any of ThingSpace's three error bodies.
function decodeError(status, text) {
  let env;
  try {
    env = JSON.parse(text);
  } catch {
    return new ApiError(status, "", text.slice(0, 200));
  }
  if (env.fault) return new ApiError(status, env.fault.code ?? "", env.fault.message ?? "");
  if (env.error) return new ApiError(status, env.error, env.error_description ?? "");
  return new ApiError(status, env.errorCode ?? "", env.errorMessage ?? "");
}

// Client holds the OAuth token and the session, renewing each once when
// ThingSpace refuses it.
class Client {
  constructor({ baseUrl, appKey, appSecret, username, password }) {
    Object.assign(this, { base: baseUrl.replace(/\/+$/, ""), appKey, appSecret, username, password });
    this.token = null;
    this.tokenExpiry = 0;
    this.session = null;
  }

  async send(method, path, headers, body) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sendOnce(method, path, headers, body);
      } catch (e) {
        if (!(e instanceof ApiError) || !THROTTLED.includes(e.status) || attempt === RETRIES) throw e;
        const wait = e.retryAfter ?? 2 ** attempt;
        await sleep(Math.min(wait, MAX_RETRY_AFTER) * 1000);
      }
    }
  }

  async sendOnce(method, path, headers, body) {
    const resp = await fetch(this.base + path, { method, headers, body, signal: AbortSignal.timeout(30000) });
    const text = await resp.text();
    if (!resp.ok) {
      const e = decodeError(resp.status, text);
      const after = (resp.headers.get("retry-after") ?? "").trim();
      if (/^\d+$/.test(after)) e.retryAfter = Number(after);
      throw e;
    }
    return text.trim() ? JSON.parse(text) : null;
  }

  async accessToken() {
    if (this.token && Date.now() < this.tokenExpiry) return this.token;
    const basic = Buffer.from(`${this.appKey}:${this.appSecret}`).toString("base64");
    const t = await this.send("POST", "/api/ts/v1/oauth2/token",
      { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
      "grant_type=client_credentials");
    this.token = t.access_token;
    this.tokenExpiry = Date.now() + ((t.expires_in || 3600) - 60) * 1000;
    return this.token;
  }

  async login() {
    const out = await this.send("POST", "/api/m2m/v1/session/login",
      { Authorization: `Bearer ${await this.accessToken()}`, "Content-Type": "application/json" },
      JSON.stringify({ username: this.username, password: this.password }));
    this.session = out.sessionToken;
  }

  // call makes one M2M call; an expired token and an expired session may
  // both need renewing in the same call, each once.
  async call(method, path, payload) {
    let renewedToken = false;
    let renewedSession = false;
    for (;;) {
      if (!this.session) await this.login();
      const headers = { Authorization: `Bearer ${await this.accessToken()}`, "VZ-M2M-Token": this.session };
      if (payload !== undefined) headers["Content-Type"] = "application/json";
      try {
        return await this.send(method, path, headers, payload === undefined ? undefined : JSON.stringify(payload));
      } catch (e) {
        if (e.code === INVALID_TOKEN && !renewedToken) {
          renewedToken = true;
          this.token = null;
        } else if (SESSION_GONE.includes(e.code) && !renewedSession) {
          renewedSession = true;
          this.session = null;
        } else {
          throw e;
        }
      }
    }
  }
}

// Listener takes DeviceProfileService and CarrierService callbacks: a
// retry or duplicate of a result it took is dropped, a warning is not
// final, and nothing after a device's final result counts.
class Listener {
  constructor() {
    this.seen = new Set();
    this.final = new Map(); // requestId -> Map(eid -> result)
    this.received = []; // [requestId, result], in the order taken
    this.expected = new Map(); // requestId -> [eid]
    this.waiters = new Set();
  }

  take(msg) {
    if (typeof msg !== "object" || msg === null) throw new Error("the body is not a JSON object");
    const resp = msg.deviceResponse ?? {};
    const p = resp.deviceProfileResponse ?? {};
    const line = LINE_RESPONSES.map((k) => resp[k]).find((v) => typeof v === "object" && v !== null) ?? {};
    const ids = [...(msg.deviceIds ?? []), ...(p.deviceIdentifierCollection ?? []), ...(line.deviceIds ?? [])];
    const eid = ids.find((i) => i.kind === "eid")?.id;
    if (!msg.requestId || !eid || !msg.status) throw new Error("requestId, status and an eid are required");
    if (!Number.isInteger(msg.callbackCount)) throw new Error("callbackCount must be a number");
    const fault = msg.faultResponse;
    const warning = !fault && (msg.status.toLowerCase() === "warning" || p.euiccStatus === "EXECUTED_WITHWARNING");
    const r = {
      eid, status: msg.status, euiccStatus: p.euiccStatus ?? "", code: fault ? fault.faultcode : (p.euiccStatusCode ?? ""),
      state: line.state ?? p.state ?? "",
      callbackCount: msg.callbackCount, final: !warning,
      succeeded: !warning && !fault && (msg.status.toLowerCase() === "success" || p.euiccStatus === "EXECUTED_SUCCESS"),
    };
    const key = JSON.stringify([msg.requestId, eid, r.status, r.euiccStatus, r.code]);
    if (this.seen.has(key) || this.final.get(msg.requestId)?.has(eid)) return;
    this.seen.add(key);
    if (r.final) {
      if (!this.final.has(msg.requestId)) this.final.set(msg.requestId, new Map());
      this.final.get(msg.requestId).set(eid, r);
    }
    this.received.push([msg.requestId, r]);
    for (const wake of this.waiters) wake();
  }

  // expect notes the devices a request acts on, so that results knows when
  // it is complete; it returns the answer to the request.
  expect(requestId, devices) {
    this.expected.set(requestId, devices.map((d) => d.eid));
    for (const wake of this.waiters) wake();
    return { ok: true, requestId };
  }

  complete(requestId) {
    const got = this.final.get(requestId) ?? new Map();
    return got.size > 0 && (this.expected.get(requestId) ?? []).every((e) => got.has(e));
  }

  async results(requestId, waitMs) {
    const deadline = Date.now() + waitMs;
    while (!this.complete(requestId) && Date.now() < deadline) {
      await new Promise((resolve) => {
        const wake = () => { this.waiters.delete(wake); clearTimeout(timer); resolve(); };
        const timer = setTimeout(wake, deadline - Date.now());
        this.waiters.add(wake);
      });
    }
    const final = [...(this.final.get(requestId)?.values() ?? [])].sort((a, b) => a.eid.localeCompare(b.eid));
    const received = this.received.filter(([id]) => id === requestId).map(([, r]) => r);
    return { complete: this.complete(requestId), final, received };
  }

  // serve starts the listener's HTTP server on address ("host:port").
  serve(address) {
    const server = http.createServer((req, res) => {
      const chunks = [];
      let size = 0;
      req.on("data", (c) => {
        size += c.length;
        if (size > 1 << 20) req.destroy();
        else chunks.push(c);
      });
      req.on("end", () => {
        try {
          this.take(JSON.parse(Buffer.concat(chunks).toString()));
        } catch (e) {
          res.writeHead(400, { "Content-Type": "text/plain" }).end(String(e.message));
          return;
        }
        res.writeHead(200).end();
      });
    });
    return listen(server, address);
  }
}

function listen(server, address) {
  const i = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(address.slice(i + 1)), address.slice(0, i), () => resolve(server));
  });
}

function urlOf(server, path) {
  const { address, port } = server.address();
  const host = address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${port}${path}`;
}

// Adapter answers the suite's requests; hello starts a fresh client and
// listener, bye stops them.
class Adapter {
  constructor(listenerAddr, listenerHost) {
    Object.assign(this, { listenerAddr, listenerHost });
  }

  async handle(req) {
    switch (req.op) {
      case "hello": {
        await this.bye();
        this.listener = new Listener();
        this.server = await this.listener.serve(this.listenerAddr);
        this.url = this.listenerHost
          ? `http://${this.listenerHost}:${this.server.address().port}/callbacks`
          : urlOf(this.server, "/callbacks");
        this.client = new Client(req);
        return { ok: true, name: "node stdlib adapter", listenerUrl: this.url, capabilities: ["retry-after", "status", "carrier"] };
      }
      case "bye":
        await this.bye();
        return { ok: true };
    }
    if (!this.client) throw new Error('the first request must be {"op":"hello",...}');
    switch (req.op) {
      case "register":
        await this.client.call("POST", `/api/m2m/v1/callbacks/${encodeURIComponent(req.account)}`,
          { name: req.service || "DeviceProfileService", url: req.url || this.url });
        return { ok: true };
      case "delete": {
        const devices = req.devices.map((d) => ({ deviceIds: [{ kind: "eid", id: d.eid }, { kind: "iccid", id: d.iccid }] }));
        const out = await this.client.call("POST", "/api/m2m/v1/devices/profile/actions/delete",
          { devices, accountName: req.account, smsrOid: req.smsrOid });
        return this.listener.expect(out.requestId, req.devices);
      }
      case "suspend":
      case "restore": {
        const devices = req.devices.map((d) => ({ deviceIds: [{ kind: "eid", id: d.eid }] }));
        const out = await this.client.call("POST", `/api/m2m/v1/devices/actions/${req.op}`,
          { accountName: req.account, devices });
        return this.listener.expect(out.requestId, req.devices);
      }
      case "status": {
        const path = `/api/m2m/v1/accounts/${encodeURIComponent(req.account)}/requests/${encodeURIComponent(req.requestId)}/status`;
        const out = await this.client.call("GET", path);
        return { ok: true, status: out.status };
      }
      case "results":
        return { ok: true, ...(await this.listener.results(req.requestId, req.waitMs || 0)) };
    }
    throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }

  async bye() {
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise((resolve) => this.server.close(resolve));
    }
    this.server = this.client = this.listener = null;
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      listen: { type: "string", default: "127.0.0.1:0" },
      "listener-addr": { type: "string", default: "127.0.0.1:0" },
      "listener-host": { type: "string", default: "" },
    },
  });
  const adapter = new Adapter(values["listener-addr"], values["listener-host"]);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      let ans;
      try {
        ans = await adapter.handle(JSON.parse(Buffer.concat(chunks).toString()));
      } catch (e) {
        ans = e instanceof ApiError
          ? { ok: false, error: { status: e.status, code: e.code, message: e.detail } }
          : { ok: false, error: { status: 0, code: "", message: String(e.message ?? e) } };
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(ans));
    });
  });
  await listen(server, values.listen);
  console.log(`adapter listening on ${urlOf(server, "/")}`);
  const stop = () => server.close(() => adapter.bye().then(() => process.exit(0)));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
