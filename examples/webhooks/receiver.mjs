// A minimal Kasse webhook receiver, verified with the official `standardwebhooks` library.
//
//   npm install standardwebhooks@1.1.1
//   KASSE_WEBHOOK_SECRET=whsec_… node receiver.mjs 8788
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const webhook = new Webhook(process.env.KASSE_WEBHOOK_SECRET);
const processed = new Set(); // use your database: the same event may arrive more than once

createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  let event;
  try {
    // Checks the signature and that webhook-timestamp is within 5 minutes.
    event = webhook.verify(body, req.headers);
  } catch {
    return res.writeHead(400).end();
  }
  if (!processed.has(event.id)) { // the webhook-id header is the event id
    processed.add(event.id);
    const session = event.data.object;
    console.log(event.type, session.id, session.status); // fulfil here
  }
  res.writeHead(204).end();
}).listen(Number(process.argv[2]), "127.0.0.1");
