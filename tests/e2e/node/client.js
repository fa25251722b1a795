// Drives the real `skybiometry` npm client (1.2.1) against facegate.
//
//   FACEGATE_URL=https://localhost:8443 FACEGATE_API_KEY=... FACEGATE_API_SECRET=... \
//   NODE_EXTRA_CA_CERTS=<data dir>/caddy/pki/authorities/local/root.crt \
//   node client.js <group>.<method> '<json array of arguments>'
//
// The client hard-codes https://api.skybiometry.com/fc/ as its base URL, so
// request-promise's post is wrapped to point it at facegate; nothing else of
// the client is changed. Prints the raw response text the client resolves
// to, or "ERROR <status> <body>" and exit code 1 when it rejects.
'use strict';

const rp = require('request-promise');
const originalPost = rp.post;
rp.post = (options) => originalPost(Object.assign({}, options, {
  baseUrl: process.env.FACEGATE_URL.replace(/\/$/, '') + '/fc/',
}));

const { Client } = require('skybiometry');

async function main() {
  const [call, rawArgs] = process.argv.slice(2);
  const [group, method] = call.split('.');
  const args = JSON.parse(rawArgs || '[]');
  const client = new Client(process.env.FACEGATE_API_KEY, process.env.FACEGATE_API_SECRET);
  try {
    const text = await client[group][method](...args);
    process.stdout.write(text);
  } catch (err) {
    const status = err.statusCode || 0;
    const body = err.error || err.message;
    process.stdout.write(`ERROR ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    process.exitCode = 1;
  }
}

main();
