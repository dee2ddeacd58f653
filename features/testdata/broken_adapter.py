#!/usr/bin/env python3
"""A deliberately broken client for the suite's own tests: the Python
adapter with one fault, chosen by the first argument.

  succeeded-false  every result reports "succeeded": false
  no-ack           the listener answers every callback with 500
  late SECONDS     the listener takes each callback, then answers 200
                   SECONDS later
  backlog-1        the listener takes one connection at a time with a
                   listen backlog of 1, and refuses the others while it is
                   busy, as BSD and macOS do once the backlog is full
                   (Linux drops the connection request instead, so the
                   listener closes its socket while busy to be refused the
                   same everywhere)
  eager-hello      hello fetches an OAuth token at once, and fails when
                   ThingSpace refuses it
  wrong-hello      hello answers "listenerURL" where the protocol says
                   "listenerUrl"
  wrong-field      results answers each final result's callbackCount as a
                   string
  no-capabilities  hello declares no capability: the client is graded on
                   the base protocol alone
  ignores-retry-after
                   the client reaches ThingSpace through a proxy that
                   takes Retry-After out of every answer, as a client that
                   ignores it
  status-failed    status answers "Failed" where ThingSpace said "Failure"
  wrong-service    register registers every listener as
                   DeviceProfileService, the CarrierService one too
"""
import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

mode = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
real = subprocess.Popen([sys.executable, os.path.join(here, "..", "adapters", "python", "tsclient_adapter.py")],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def forward(target, body):
    """Gives a callback to the real client's listener; returns its status."""
    req = urllib.request.Request(target, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def handler(answer):
    """A request handler that reads a callback and answers answer(body)."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(answer(body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass
    return Handler


def threaded_listener(answer):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(answer))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d/callbacks" % server.server_address[1]


def one_at_a_time_listener(answer):
    """Takes a connection, closes its listening socket while it answers it
    (connections meanwhile are refused), then listens again."""
    ready = threading.Event()
    port = [0]

    def serve():
        while True:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port[0]))
            s.listen(1)
            port[0] = s.getsockname()[1]
            ready.set()
            conn, addr = s.accept()
            s.close()
            with conn:
                handler(answer)(conn, addr, None)

    threading.Thread(target=serve, daemon=True).start()
    ready.wait()
    return "http://127.0.0.1:%d/callbacks" % port[0]


def eager_token(hello):
    """Fetches a token as hello arrives; returns an error answer, or None."""
    basic = base64.b64encode(("%s:%s" % (hello["appKey"], hello["appSecret"])).encode()).decode()
    req = urllib.request.Request(hello["baseUrl"].rstrip("/") + "/api/ts/v1/oauth2/token", data=b"grant_type=client_credentials",
                                 method="POST", headers={"Authorization": "Basic " + basic,
                                                         "Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(req, timeout=30).close()
        return None
    except urllib.error.HTTPError as e:
        body = json.loads(e.read().decode() or "{}")
        return {"ok": False, "error": {"status": e.code, "code": body.get("error", ""), "message": body.get("error_description", "")}}


def without_retry_after(base):
    """A proxy to base that passes every call on and takes Retry-After out
    of the answers; returns its URL."""
    class Proxy(BaseHTTPRequestHandler):
        def relay(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))) or None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
            req = urllib.request.Request(base.rstrip("/") + self.path, data=body, method=self.command, headers=headers)
            try:
                resp = urllib.request.urlopen(req, timeout=30)
            except urllib.error.HTTPError as e:
                resp = e
            with resp:
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    if k.lower() not in ("retry-after", "content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = relay

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d" % server.server_address[1]


def late(seconds):
    def answer(body):
        status = forward(listener, body)
        time.sleep(seconds)
        return status
    return answer


listener = None
for line in sys.stdin:
    req = json.loads(line)
    op = req.get("op")
    if mode == "eager-hello" and op == "hello":
        refused = eager_token(req)
        if refused:
            print(json.dumps(refused), flush=True)
            continue
    if mode == "ignores-retry-after" and op == "hello":
        req["baseUrl"] = without_retry_after(req["baseUrl"])
        line = json.dumps(req) + "\n"
    if mode == "wrong-service" and op == "register":
        req["service"] = "DeviceProfileService"
        line = json.dumps(req) + "\n"
    real.stdin.write(line)
    real.stdin.flush()
    ans = json.loads(real.stdout.readline())
    if op == "hello" and ans.get("ok"):
        listener = ans["listenerUrl"]
        if mode == "no-ack":
            ans["listenerUrl"] = threaded_listener(lambda body: 500)
        elif mode == "late":
            ans["listenerUrl"] = threaded_listener(late(float(sys.argv[2])))
        elif mode == "backlog-1":
            ans["listenerUrl"] = one_at_a_time_listener(lambda body: forward(listener, body))
    if op == "hello" and mode == "wrong-hello":
        ans["listenerURL"] = ans.pop("listenerUrl", None)
    if op == "hello" and mode == "no-capabilities":
        ans.pop("capabilities", None)
    if mode == "succeeded-false":
        for r in ans.get("final", []) + ans.get("received", []):
            r["succeeded"] = False
    if mode == "wrong-field":
        for r in ans.get("final", []):
            r["callbackCount"] = str(r["callbackCount"])
    if op == "status" and mode == "status-failed" and ans.get("status") == "Failure":
        ans["status"] = "Failed"
    print(json.dumps(ans), flush=True)
    if op == "bye":
        break
real.wait()
