#!/usr/bin/env python3
"""A minimal ThingSpace client in Python 3 (standard library only): profile
deletes, line suspends and restores, request status, and a listener for
DeviceProfileService and CarrierService callbacks. It speaks the contract
suite's adapter protocol (features/ADAPTER.md) on stdin/stdout, with every
capability (retry-after, status, carrier), to prove the protocol lets any
language's client run the same scenarios as the Go reference client.
"""
import base64
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A session ThingSpace says expired, or no longer knows: log in again.
SESSION_GONE = ("UnifiedWebService.REQUEST_FAILED.SessionToken.Expired",
                "UnifiedWebService.INPUT_INVALID.SessionToken.Invalid")
INVALID_TOKEN = "900901"
# A call answered 429 or 503 was not served: it is sent again, up to
# RETRIES times, after Retry-After seconds (at most MAX_RETRY_AFTER), or
# 1, 2, 4 seconds when the answer gives none.
THROTTLED = (429, 503)
RETRIES = 3
MAX_RETRY_AFTER = 60
# The line-change callbacks' members of deviceResponse (CarrierService).
LINE_RESPONSES = ("activateResponse", "deactivateResponse", "suspendResponse", "restoreResponse")


class ApiError(Exception):
    def __init__(self, status, code, message, retry_after=None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.retry_after = retry_after


def decode_error(status, body):
    try:
        env = json.loads(body)
    except ValueError:
        return ApiError(status, "", body[:200])
    if isinstance(env.get("fault"), dict):
        f = env["fault"]
        return ApiError(status, f.get("code", ""), f.get("message", ""))
    if "error" in env:
        return ApiError(status, env["error"], env.get("error_description", ""))
    return ApiError(status, env.get("errorCode", ""), env.get("errorMessage", ""))


class Client:
    """OAuth token and session, each renewed once when ThingSpace refuses it."""

    def __init__(self, base, app_key, app_secret, username, password):
        self.base = base.rstrip("/")
        self.app_key, self.app_secret = app_key, app_secret
        self.username, self.password = username, password
        self.token, self.token_expiry, self.session = None, 0.0, None

    def _send(self, method, path, headers, body):
        for attempt in range(RETRIES + 1):
            try:
                return self._send_once(method, path, headers, body)
            except ApiError as e:
                if e.status not in THROTTLED or attempt == RETRIES:
                    raise
                wait = e.retry_after if e.retry_after is not None else 2 ** attempt
                time.sleep(min(wait, MAX_RETRY_AFTER))

    def _send_once(self, method, path, headers, body):
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                data = resp.read().decode()
                return json.loads(data) if data.strip() else None
        except urllib.error.HTTPError as e:
            err = decode_error(e.code, e.read().decode())
            value = (e.headers.get("Retry-After") or "").strip()
            if value.isdigit():
                err.retry_after = int(value)
            raise err from None

    def fetch_token(self):
        basic = base64.b64encode(f"{self.app_key}:{self.app_secret}".encode()).decode()
        t = self._send("POST", "/api/ts/v1/oauth2/token",
                       {"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"},
                       b"grant_type=client_credentials")
        self.token = t["access_token"]
        self.token_expiry = time.monotonic() + int(t.get("expires_in") or 3600) - 60
        return self.token

    def login(self):
        out = self._send("POST", "/api/m2m/v1/session/login",
                         {"Authorization": "Bearer " + self._token(), "Content-Type": "application/json"},
                         json.dumps({"username": self.username, "password": self.password}).encode())
        self.session = out["sessionToken"]

    def _token(self):
        if self.token is None or time.monotonic() >= self.token_expiry:
            self.fetch_token()
        return self.token

    def call(self, method, path, payload=None):
        body = json.dumps(payload).encode() if payload is not None else None
        renewed_token = renewed_session = False
        while True:
            if self.session is None:
                self.login()
            headers = {"Authorization": "Bearer " + self._token(), "VZ-M2M-Token": self.session}
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                return self._send(method, path, headers, body)
            except ApiError as e:
                if e.code == INVALID_TOKEN and not renewed_token:
                    renewed_token, self.token = True, None
                elif e.code in SESSION_GONE and not renewed_session:
                    renewed_session, self.session = True, None
                else:
                    raise


class Listener:
    """Takes DeviceProfileService and CarrierService callbacks: drops
    duplicates, keeps warnings as not final, remembers the final result of
    each device."""

    def __init__(self):
        self.cond = threading.Condition()
        self.seen = set()
        self.final = {}      # requestId -> {eid: result}
        self.received = []   # every result taken, in order
        self.expected = {}   # requestId -> [eid]

    def take(self, msg):
        resp = msg.get("deviceResponse") or {}
        p = resp.get("deviceProfileResponse") or {}
        line = next((resp[k] for k in LINE_RESPONSES if isinstance(resp.get(k), dict)), {})
        ids = (msg.get("deviceIds") or []) + (p.get("deviceIdentifierCollection") or []) + (line.get("deviceIds") or [])
        eid = next((i["id"] for i in ids if i.get("kind") == "eid"), "")
        status, fault = msg["status"], msg.get("faultResponse")
        if not msg.get("requestId") or not eid or not status:
            raise ValueError("requestId, status and an eid are required")
        if not isinstance(msg["callbackCount"], int):
            raise ValueError("callbackCount must be a number")
        warning = not fault and (status.lower() == "warning" or p.get("euiccStatus") == "EXECUTED_WITHWARNING")
        r = {"eid": eid, "status": status, "euiccStatus": p.get("euiccStatus", ""),
             "code": fault["faultcode"] if fault else p.get("euiccStatusCode", ""),
             "state": line.get("state") or p.get("state", ""),
             "callbackCount": msg["callbackCount"], "final": not warning,
             "succeeded": not warning and not fault and (status.lower() == "success" or p.get("euiccStatus") == "EXECUTED_SUCCESS")}
        # A retry (callbackCount 2, 3...) of a result already taken is a duplicate.
        key = (msg["requestId"], eid, status, r["euiccStatus"], r["code"])
        with self.cond:
            if key in self.seen or eid in self.final.get(msg["requestId"], {}):
                return
            self.seen.add(key)
            if r["final"]:
                self.final.setdefault(msg["requestId"], {})[eid] = r
            self.received.append((msg["requestId"], r))
            self.cond.notify_all()

    def expect(self, request_id, devices):
        """Notes the devices a request acts on, so that results knows when it
        is complete; returns the answer to the request."""
        with self.cond:
            self.expected[request_id] = [d["eid"] for d in devices]
            self.cond.notify_all()
        return {"ok": True, "requestId": request_id}

    def results(self, request_id, wait_s):
        deadline = time.monotonic() + wait_s
        with self.cond:
            def complete():
                got = self.final.get(request_id, {})
                return bool(got) and all(e in got for e in self.expected.get(request_id, []))
            while not complete() and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            final = sorted(self.final.get(request_id, {}).values(), key=lambda r: r["eid"])
            received = [r for rid, r in self.received if rid == request_id]
            return {"complete": complete(), "final": final, "received": received}


def serve(listener, address):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            try:
                n = int(self.headers.get("Content-Length", "0"))
                listener.take(json.loads(self.rfile.read(n)))
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                self.send_response(400)
                self.end_headers()
                self.wfile.write(str(e).encode())
                return
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        # ThreadingHTTPServer queues 5 connections: a burst of callbacks
        # would find the rest refused.
        request_queue_size = 1024

    host, _, port = address.rpartition(":")
    server = Server((host, int(port)), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    listener, client, url, server = Listener(), None, None, None
    for line in sys.stdin:
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "bye":
                print(json.dumps({"ok": True}), flush=True)
                break
            if op == "hello":
                server = serve(listener, "127.0.0.1:0")
                host, port = server.server_address[:2]
                url = f"http://{host}:{port}/callbacks"
                client = Client(req["baseUrl"], req["appKey"], req["appSecret"], req["username"], req["password"])
                ans = {"ok": True, "name": "python stdlib adapter", "listenerUrl": url,
                       "capabilities": ["retry-after", "status", "carrier"]}
            elif client is None:
                raise ValueError('the first request must be {"op":"hello",...}')
            elif op == "register":
                client.call("POST", "/api/m2m/v1/callbacks/" + urllib.parse.quote(req["account"], safe=""),
                            {"name": req.get("service") or "DeviceProfileService", "url": req.get("url") or url})
                ans = {"ok": True}
            elif op == "delete":
                devices = [{"deviceIds": [{"kind": "eid", "id": d["eid"]}, {"kind": "iccid", "id": d["iccid"]}]}
                           for d in req["devices"]]
                out = client.call("POST", "/api/m2m/v1/devices/profile/actions/delete",
                                  {"devices": devices, "accountName": req["account"], "smsrOid": req["smsrOid"]})
                ans = listener.expect(out["requestId"], req["devices"])
            elif op in ("suspend", "restore"):
                devices = [{"deviceIds": [{"kind": "eid", "id": d["eid"]}]} for d in req["devices"]]
                out = client.call("POST", "/api/m2m/v1/devices/actions/" + op,
                                  {"accountName": req["account"], "devices": devices})
                ans = listener.expect(out["requestId"], req["devices"])
            elif op == "status":
                out = client.call("GET", "/api/m2m/v1/accounts/%s/requests/%s/status" % (
                    urllib.parse.quote(req["account"], safe=""), urllib.parse.quote(req["requestId"], safe="")))
                ans = {"ok": True, "status": out["status"]}
            elif op == "results":
                ans = {"ok": True, **listener.results(req["requestId"], req.get("waitMs", 0) / 1000)}
            else:
                raise ValueError(f"unknown op {op!r}")
        except ApiError as e:
            ans = {"ok": False, "error": {"status": e.status, "code": e.code, "message": e.message}}
        except (ValueError, KeyError, OSError) as e:
            ans = {"ok": False, "error": {"status": 0, "code": "", "message": str(e)}}
        print(json.dumps(ans), flush=True)
    if server:
        server.server_close()


if __name__ == "__main__":
    main()
