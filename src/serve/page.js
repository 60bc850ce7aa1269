// The practice page. Every piece of text from the server (the customer, the coach,
// the trainee's own words, persona files) is put on the page with textContent, never
// as HTML. The token lives in an HttpOnly cookie the script cannot read.
'use strict';

const MAX_CHARS = 2000;
const state = { session: null, exam: false, persona: '', busy: false, composing: false };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function showError(message) {
  $('error').textContent = message || '';
}

function show(section) {
  for (const id of ['login', 'choose', 'talk', 'score']) $(id).hidden = id !== section;
}

// ---- logging in -------------------------------------------------------------

async function boot() {
  showError('');
  const st = await api('GET', '/api/status');
  if (!st.name) {
    $('code-row').hidden = !st.access_code;
    show('login');
    $('name').focus();
    return;
  }
  $('who').textContent = st.name;
  const mine = await api('GET', '/api/sessions');
  if (mine.current) {
    render(await api('GET', '/api/sessions/' + mine.current));
    return;
  }
  await chooser();
}

async function enter() {
  try {
    await api('POST', '/api/login', { name: $('name').value, code: $('code').value });
    await boot();
  } catch (e) { showError(e.message); }
}

// ---- choosing a customer ----------------------------------------------------

let menu = null;

async function chooser() {
  if (!menu) menu = await api('GET', '/api/menu');
  const persona = $('persona');
  if (!persona.options.length) {
    for (const p of menu.personas) persona.append(new Option(p.name + '（' + p.id + '）', p.id));
    for (const d of menu.difficulties) $('difficulty').append(new Option(d.label, d.id));
    $('difficulty').value = 'normal';
    fillScenarios();
  }
  show('choose');
}

function fillScenarios() {
  const p = menu.personas.find((x) => x.id === $('persona').value);
  const sel = $('scenario');
  sel.textContent = '';
  for (const s of p.scenarios) sel.append(new Option('〔' + s.industry + '〕' + s.title, s.id));
  // A customer type's summary says how to handle it: an exam asks the trainee to know.
  $('persona-summary').textContent = exam() ? '' : p.summary;
}

function exam() {
  return document.querySelector('input[name=mode]:checked').value === 'exam';
}

async function start() {
  showError('');
  try {
    render(await api('POST', '/api/sessions', {
      persona: $('persona').value,
      scenario: $('scenario').value,
      difficulty: $('difficulty').value,
      mode: exam() ? 'exam' : 'practice',
    }));
  } catch (e) { showError(e.message); }
}

// ---- the conversation -------------------------------------------------------

function render(v) {
  state.session = v.id;
  state.exam = v.exam;
  state.persona = v.persona;
  const b = $('brief');
  b.textContent = '';
  b.append(el('b', null, v.brief.heading), '\n' + v.brief.customer);
  for (const line of [v.brief.situation, v.brief.policy, v.brief.goal]) if (line) b.append('\n' + line);
  b.append('\n' + (v.exam ? '考试模式：不显示情绪和提示，不能收回。' : '练习模式：每句回复后有一行教练提示。'));
  $('log').textContent = '';
  for (const l of v.lines) {
    addLine(l.who, l.text);
    if (l.coach) addCoach(l.coach);
  }
  $('mood').hidden = v.exam;
  $('undo').hidden = v.exam;
  $('hint').hidden = v.exam;
  $('hint-box').hidden = true;
  setMood(v.anger, v.turn, v.patience);
  showEnded(v.ended, v.closed);
  show('talk');
  $('reply').focus();
}

function addLine(who, text) {
  const row = el('div', 'line ' + who);
  row.append(el('span', 'who', who === 'customer' ? state.persona + '：' : '我：'));
  const t = el('span', 'text', text);
  row.append(t);
  $('log').append(row);
  $('log').scrollTop = $('log').scrollHeight;
  return t;
}

function addCoach(text) {
  const bad = text.startsWith('⚠');
  $('log').append(el('div', 'coach ' + (bad ? 'bad' : 'good'), '教练：' + text));
}

function addNote(text) {
  $('log').append(el('div', 'note', text));
}

function setMood(anger, turn, patience) {
  if (typeof patience === 'number') state.patience = patience;
  if (typeof turn === 'number') $('turns').textContent = '第 ' + turn + ' 轮 / 共 ' + state.patience + ' 轮';
  if (anger === null || anger === undefined) return;
  const a = Math.max(0, Math.min(100, anger));
  const fill = $('mood-fill');
  fill.style.width = a + '%';
  fill.className = a >= 60 ? 'hot' : (a < 30 ? 'calm' : '');
  $('mood-num').textContent = String(a);
}

function showEnded(ended, closed) {
  const box = $('ended');
  box.textContent = '';
  box.hidden = !ended;
  if (ended) {
    box.append(el('b', null, '— ' + ended.outcome + ' —'), ' ' + ended.reason);
    if (!state.exam && !closed) box.append('\n可以「收回上一句」再试，或「结束并评分」。');
  }
  const stop = !!ended || !!closed;
  $('reply').disabled = stop;
  $('send').disabled = stop;
}

function updateCount() {
  const n = [...$('reply').value].length;
  $('count').textContent = n + '/' + MAX_CHARS + (n > MAX_CHARS ? '（超出的部分不会发送）' : '');
  $('count').className = n > MAX_CHARS ? 'error' : 'dim';
}

async function send() {
  const box = $('reply');
  const text = box.value;
  if (state.busy || !text.trim()) return;
  state.busy = true;
  $('send').disabled = true;
  showError('');
  box.value = '';
  updateCount();
  // Several pasted lines are one reply, as the server reads them.
  const mine = addLine('trainee', text.split('\n').map((s) => s.trim()).filter(Boolean).join(' '));
  const line = { span: null };
  try {
    const r = await fetch('/api/sessions/' + state.session + '/turn', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    if (!r.ok) {
      const d = await r.json().catch(() => null);
      // Refused: the reply was not said. Take it off the dialogue and give it back.
      mine.parentElement.remove();
      if (!box.value) { box.value = text; updateCount(); }
      throw new Error((d && d.error) || ('服务器出错了（' + r.status + '）'));
    }
    await readEvents(r.body, (name, d) => onEvent(name, d, line));
  } catch (e) {
    showError(e.message + ' 刷新页面可以看到已经保存的对话。');
  } finally {
    state.busy = false;
    if (!$('reply').disabled) $('send').disabled = false;
    box.focus();
  }
}

// Server-sent events from a POST: read the body and split it into events.
async function readEvents(body, on) {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let name = 'message';
      let data = '';
      for (const l of block.split('\n')) {
        if (l.startsWith('event:')) name = l.slice(6).trim();
        else if (l.startsWith('data:')) data += l.slice(5).replace(/^ /, '');
      }
      if (data) on(name, JSON.parse(data));
    }
  }
}

function onEvent(name, d, line) {
  switch (name) {
    case 'note': addNote(d.text); break;
    case 'decided':
      if (d.coach) addCoach(d.coach);
      break;
    case 'token':
      if (!line.span) line.span = addLine('customer', '');
      line.span.textContent += d.text;
      break;
    case 'retry': addNote(d.text); break;
    case 'discard':
      if (line.span) line.span.textContent = '';
      addNote(d.text);
      break;
    case 'done':
      if (!line.span) line.span = addLine('customer', '');
      line.span.textContent = d.customer || '';
      $('log').scrollTop = $('log').scrollHeight;
      if (d.note) addNote(d.note);
      setMood(d.anger, d.turn);
      showEnded(d.ended, false);
      if (d.error) showError(d.error);
      break;
    case 'error': showError(d.error); break;
    default: break;
  }
}

// ---- buttons ----------------------------------------------------------------

async function act(method, what) {
  showError('');
  try {
    return await api(method, '/api/sessions/' + state.session + '/' + what);
  } catch (e) { showError(e.message); return null; }
}

async function undo() {
  const v = await act('POST', 'undo');
  if (v) render(v);
}

async function restart() {
  const v = await act('POST', 'restart');
  if (v) { render(v); addNote('已重新开始；上一次的对话已保存为未完成。'); }
}

async function hint() {
  const d = await act('GET', 'hint');
  if (d) { $('hint-box').textContent = d.hint; $('hint-box').hidden = false; }
}

async function end() {
  const d = await act('POST', 'end');
  if (!d) return;
  $('score-line').textContent = '评分卡：' + d.total + ' 分 · ' + d.grade;
  $('card').src = d.card;
  show('score');
}

function wire() {
  $('enter').addEventListener('click', enter);
  $('name').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.isComposing) enter(); });
  $('code').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.isComposing) enter(); });
  $('persona').addEventListener('change', fillScenarios);
  for (const r of document.querySelectorAll('input[name=mode]')) r.addEventListener('change', fillScenarios);
  $('start').addEventListener('click', start);
  $('send').addEventListener('click', send);
  $('undo').addEventListener('click', undo);
  $('restart').addEventListener('click', restart);
  $('hint').addEventListener('click', hint);
  $('end').addEventListener('click', end);
  $('again').addEventListener('click', () => { $('card').src = 'about:blank'; chooser(); });
  const reply = $('reply');
  // An input method is composing (拼音 → 汉字): its Enter picks the characters and
  // must not send the reply.
  reply.addEventListener('compositionstart', () => { state.composing = true; });
  reply.addEventListener('compositionend', () => { state.composing = false; });
  reply.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey) return;
    if (e.isComposing || state.composing || e.keyCode === 229) return;
    e.preventDefault();
    send();
  });
  reply.addEventListener('input', updateCount);
}

wire();
boot().catch((e) => showError(e.message));
