#!/usr/bin/env python3
"""A stand-in OpenAI-compatible provider for the README walkthrough (no network, no key needed).

Usage: python3 scripts/fake-openai.py [port]   (default 9099, binds 127.0.0.1 only)
Answers POST /v1/chat/completions with a canned reply and a `usage` object:
prompt_tokens = characters of the messages' content, completion_tokens = 7.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        prompt = sum(len(m.get("content") or "") for m in body.get("messages", []))
        reply = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1764000000,
            "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello from the fake provider."},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": 7, "total_tokens": prompt + 7},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-openai: " + (fmt % args) + "\n")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9099
    print(f"fake OpenAI provider on http://127.0.0.1:{port}/v1", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
