#!/usr/bin/env python3
"""A deliberately broken client for the suite's own tests: the Python
adapter with one fault, chosen by the first argument.

  succeeded-false  every result reports "succeeded": false
  no-ack           the listener answers every callback with 500
"""
import json
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

mode = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
real = subprocess.Popen([sys.executable, os.path.join(here, "..", "adapters", "python", "tsclient_adapter.py")],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def refusing_listener():
    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d/callbacks" % server.server_address[1]


for line in sys.stdin:
    real.stdin.write(line)
    real.stdin.flush()
    ans = json.loads(real.stdout.readline())
    op = json.loads(line).get("op")
    if mode == "no-ack" and op == "hello" and ans.get("ok"):
        ans["listenerUrl"] = refusing_listener()
    if mode == "succeeded-false":
        for r in ans.get("final", []) + ans.get("received", []):
            r["succeeded"] = False
    print(json.dumps(ans), flush=True)
    if op == "bye":
        break
real.wait()
