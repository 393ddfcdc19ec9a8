"""A minimal Kasse webhook receiver, verified with the official `standardwebhooks` library.

    pip install standardwebhooks==1.1.0
    KASSE_WEBHOOK_SECRET=whsec_… python3 receiver.py 8788
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

webhook = Webhook(os.environ["KASSE_WEBHOOK_SECRET"])
processed = set()  # use your database: the same event may arrive more than once


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        try:
            # Checks the signature and that webhook-timestamp is within 5 minutes.
            event = webhook.verify(body, dict(self.headers))
        except WebhookVerificationError:
            self.send_response(400)
            self.end_headers()
            return
        if event["id"] not in processed:  # the webhook-id header is the event id
            processed.add(event["id"])
            session = event["data"]["object"]
            print(event["type"], session["id"], session["status"], flush=True)  # fulfil here
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
