// Shared by the practice page and the trainer's page: element lookup and JSON calls
// that turn the server's {"error": "…"} into an Error with that message.
'use strict';

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    const e = new Error((data && data.error) || ('服务器出错了（' + r.status + '），请稍后再试。'));
    e.status = r.status;
    throw e;
  }
  return data;
}
