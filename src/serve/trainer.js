// The trainer's view: sessions by trainee and date with their scores, links to each
// scorecard and to the cohort report of the sessions ticked. Text goes on the page
// with textContent only.
'use strict';

function cell(tr, text, cls) {
  const td = document.createElement('td');
  if (cls) td.className = cls;
  td.textContent = text === undefined || text === null ? '' : String(text);
  tr.append(td);
  return td;
}

async function load() {
  $('error').textContent = '';
  let d;
  try {
    d = await api('GET', '/api/trainer/sessions');
  } catch (e) {
    if (e.status === 401) { $('login').hidden = false; $('list').hidden = true; return; }
    $('error').textContent = e.message;
    return;
  }
  $('login').hidden = true;
  $('list').hidden = false;
  const rows = $('rows');
  rows.textContent = '';
  for (const s of d.sessions) {
    const tr = document.createElement('tr');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = s.id;
    box.checked = true;
    const td = document.createElement('td');
    td.append(box);
    tr.append(td);
    cell(tr, s.trainee);
    if (s.error) {
      const e = cell(tr, s.error, 'error');
      e.colSpan = 9;
    } else {
      cell(tr, (s.started_at || '').replace('T', ' ').replace('Z', ''));
      cell(tr, s.persona);
      cell(tr, s.scenario);
      cell(tr, s.difficulty);
      cell(tr, s.mode);
      cell(tr, s.finished ? s.outcome : s.outcome + '（进行中）');
      cell(tr, s.total, 'n');
      cell(tr, s.grade);
      const link = document.createElement('a');
      link.href = '/trainer/scorecards/' + encodeURIComponent(s.id) + '.html';
      link.target = '_blank';
      link.textContent = '查看';
      cell(tr, '').append(link);
    }
    rows.append(tr);
  }
  $('empty').hidden = d.sessions.length > 0;
}

async function enter() {
  try {
    await api('POST', '/api/trainer/login', { code: $('code').value });
    await load();
  } catch (e) { $('error').textContent = e.message; }
}

$('enter').addEventListener('click', enter);
$('code').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.isComposing) enter(); });
$('all').addEventListener('click', () => {
  const boxes = [...document.querySelectorAll('#rows input')];
  const on = !boxes.every((b) => b.checked);
  for (const b of boxes) b.checked = on;
});
$('report').addEventListener('click', () => {
  const ids = [...document.querySelectorAll('#rows input:checked')].map((b) => b.value);
  if (!ids.length) { $('error').textContent = '请先勾选要放进报告的练习。'; return; }
  window.open('/trainer/report?ids=' + ids.join(','), '_blank');
});
load();
