// The page of 'backprop explore'. It does no arithmetic: every number comes from the server (the library's worked
// solution, chain rule, finite differences and quiz); this file only fetches, lays out and typesets.
'use strict';

const state = { steps: [], current: 0, previous: new Map(), hidden: null, params: [], maxEntriesShown: null };
// The server writes a gradient the quiz hides as this; the page only marks the line.
const HIDDEN = '? (hidden by the quiz)';
// An export longer than this is not put into the page (a browser would stall on it): its file link has it all.
const MAX_EXPORT_SHOWN = 1000000;
const $ = id => document.getElementById(id);

// The answer of a route: parsed JSON, or with asText the text exactly as sent (an export is shown as trace writes it).
async function api(path, body, asText = false) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') && !(asText && response.ok) ? await response.json() : await response.text();
  if (!response.ok) throw new Error(data && data.error ? data.error : `${response.status} ${path}`);
  return data;
}

function layout() { return $('layout').value; }

function tex(element, latex) {
  const block = document.createElement('div');
  block.className = 'math';
  katex.render(latex, block, { displayMode: true, throwOnError: false, output: 'htmlAndMathml' });
  element.appendChild(block);
}

function setSvg(element, text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  element.replaceChildren(document.importNode(doc.documentElement, true));
}

async function loadState() {
  const s = await api('/api/state');
  $('problem-name').textContent = `${s.name}: loss ${s.loss}, η = ${s.learning_rate ?? '—'}, batch of ${s.batch}`;
  $('mode').value = s.mode;
  state.params = s.parameters;
  state.hidden = s.hidden;
  // Tensors of more values are shown as previews (the server's limit, so the Jacobian panel uses it too); export has them all.
  state.maxEntriesShown = s.max_entries_shown;
  $('quiz-hidden').textContent = s.hidden ? `dL/d(${s.hidden}) is hidden until you answer` : '';
  const targets = [...s.parameters.map(p => p.name), 'x', 'y', 'lr'];
  fill($('edit-target'), targets);
  fill($('fd-name'), [...s.parameters.map(p => p.name), 'x']);
  fill($('quiz-quantity'), [...s.parameters.map(p => p.name), 'x']);
  fill($('jac-wrt'), ['input', 'params', ...s.parameters.map(p => p.name)]);
  const layers = $('jac-layer');
  const keep = layers.value;
  layers.replaceChildren(...[['', 'the whole model'], ...s.layers.map((t, i) => [String(i), `layer ${i} (${t})`])].map(([v, t]) => {
    const o = document.createElement('option'); o.value = v; o.textContent = t; return o;
  }));
  layers.value = keep;
  $('graph-expression').textContent = `${s.expression} at ${s.inputs}`;
}

function fill(select, names) {
  const keep = select.value;
  select.replaceChildren(...names.map(n => { const o = document.createElement('option'); o.value = o.textContent = n; return o; }));
  if (names.includes(keep)) select.value = keep;
}

async function loadSteps(markChanges) {
  const old = new Map(state.steps.map(s => [s.id, s.text]));
  const { steps } = await api(`/api/steps?layout=${layout()}`);
  state.previous = markChanges ? old : new Map();
  state.steps = steps;
  const list = $('steps');
  list.replaceChildren(...steps.map((s, i) => {
    const li = document.createElement('li');
    li.id = `step-${s.id}`;
    li.textContent = s.id;
    li.addEventListener('click', () => show(i));
    return li;
  }));
  show(Math.min(state.current, steps.length - 1));
}

async function loadNetwork() {
  setSvg($('network-view'), await api('/api/network.svg'));
  for (const edge of document.querySelectorAll('#network .edge.weight')) {
    edge.addEventListener('click', () => pick(edge.dataset.target, edge.dataset.index));
  }
  for (const unit of document.querySelectorAll('#network .unit[data-target]')) {
    unit.addEventListener('click', () => pick(unit.dataset.target, unit.dataset.index));
  }
  highlight();
}

function pick(target, index) {
  $('edit-target').value = target;
  $('edit-index').value = index;
  $('edit-value').focus();
}

function highlight() {
  for (const e of document.querySelectorAll('#network .current')) e.classList.remove('current');
  const step = state.steps[state.current];
  if (step && step.layer !== null) document.getElementById(`layer-${step.layer}`)?.classList.add('current');
}

async function show(i) {
  if (i < 0 || i >= state.steps.length) return;
  state.current = i;
  const step = state.steps[i];
  $('step-counter').textContent = `${i + 1} / ${state.steps.length}`;
  $('step-title').textContent = step.title;
  for (const li of $('steps').children) li.classList.toggle('active', li.id === `step-${step.id}`);
  const before = state.previous.get(step.id) || [];
  $('step-text').replaceChildren(...step.text.map((line, k) => {
    const div = document.createElement('div');
    div.className = 'line';
    div.textContent = line;
    if (line.includes(HIDDEN)) div.classList.add('hidden-answer');
    else if (state.previous.size > 0 && before[k] !== line) div.classList.add('changed');
    return div;
  }));
  const math = $('step-math');
  math.replaceChildren();
  for (const latex of step.latex) tex(math, latex);
  highlight();
  await showChain(step, i);
}

async function showChain(step, i) {
  const panel = $('chain');
  if (!step.id.startsWith('backward-')) { panel.hidden = true; return; }
  const { steps } = await api(`/api/chain?layer=${step.layer}`);
  if (state.current !== i) return; // the student has stepped on meanwhile
  const chain = steps[0];
  panel.hidden = false;
  const kinds = { linear: 'linear layer: the local Jacobian is W', elementwise: 'element-wise activation: the local Jacobian is the diagonal diag(f′(h))', softmax: 'softmax: the local Jacobian is diag(s) − s sᵀ', jacobian: 'the local Jacobian, row j = ∂output_j/∂input' };
  $('chain-kind').textContent = `${kinds[chain.kind]} (example ${chain.example + 1})`;
  const math = $('chain-math');
  math.replaceChildren();
  for (const latex of chain.latex) tex(math, latex);
}

async function edit(edits) {
  $('edit-error').textContent = '';
  $('status').textContent = '';
  try {
    await api('/api/solution?answer=state', { edits });
    await refresh(true);
    // Only once the page shows the recomputed solution: the tests (and the student) read it when this appears.
    $('status').textContent = 'recomputed';
  } catch (e) {
    $('edit-error').textContent = e.message;
  }
}

async function refresh(markChanges) {
  await loadState();
  await loadSteps(markChanges);
  await loadNetwork();
}

function indexOf(text) {
  return text.trim() === '' ? [] : text.split(',').map(s => Number(s.trim()));
}

function wire() {
  $('prev').addEventListener('click', () => show(state.current - 1));
  $('next').addEventListener('click', () => show(state.current + 1));
  document.addEventListener('keydown', e => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'ArrowRight') show(state.current + 1);
    if (e.key === 'ArrowLeft') show(state.current - 1);
  });
  $('layout').addEventListener('change', () => loadSteps(false));
  $('mode').addEventListener('change', () => edit([{ target: 'mode', text: $('mode').value }]));
  $('reset').addEventListener('click', async () => { await api('/api/solution?answer=state', { reset: true }); await refresh(true); });
  $('edit-apply').addEventListener('click', () => {
    const target = $('edit-target').value;
    const edit1 = { target, value: $('edit-value').value.trim() === '' ? null : Number($('edit-value').value) };
    if (target !== 'lr') edit1.index = indexOf($('edit-index').value);
    edit([edit1]);
  });
  $('fd-run').addEventListener('click', async () => {
    const table = $('fd-result');
    try {
      const r = await api(`/api/check?name=${encodeURIComponent($('fd-name').value)}&index=${encodeURIComponent($('fd-index').value)}&eps=${encodeURIComponent($('fd-eps').value)}`);
      if (r.hidden) {
        const tr = document.createElement('tr'); tr.className = 'hidden-answer'; tr.textContent = r.message;
        table.replaceChildren(tr);
        table.dataset.passed = 'hidden';
        return;
      }
      const rows = [
        ['analytic g (backprop)', r.analytic], ['central difference', r.numeric], ['relative error', r.relative_error],
        ['verdict', r.passed ? 'pass' : 'FAIL'], [`predicted ΔL ≈ g·ε (ε = ${r.epsilon})`, r.predicted_delta], ['actual ΔL', r.actual_delta],
      ];
      table.replaceChildren(...rows.map(([k, v]) => {
        const tr = document.createElement('tr');
        tr.innerHTML = '<th></th><td></td>';
        tr.children[0].textContent = k;
        tr.children[1].textContent = String(v);
        return tr;
      }));
      table.dataset.passed = String(r.passed);
    } catch (e) {
      table.replaceChildren();
      table.dataset.passed = 'error';
      const tr = document.createElement('tr'); tr.className = 'error'; tr.textContent = e.message; table.appendChild(tr);
    }
  });
  // The server hides the gradient in every answer that would show it; what other panels show of it already goes.
  $('quiz-hide').addEventListener('click', async () => {
    await api('/api/quiz', { hide: $('quiz-quantity').value });
    for (const id of ['fd-result', 'jacobian', 'export-output']) $(id).replaceChildren();
    delete $('fd-result').dataset.passed;
    $('quiz-result').textContent = '';
    await refresh(false);
  });
  $('quiz-check').addEventListener('click', async () => {
    const out = $('quiz-result');
    try {
      const v = await api('/api/quiz', { quantity: $('quiz-quantity').value, index: indexOf($('quiz-index').value), answer: $('quiz-answer').value });
      await refresh(false); // the answer ends the quiz: the verdict appears once the page shows the gradient again
      out.textContent = v.message;
      out.className = v.correct ? 'right' : 'wrong';
      out.dataset.slip = v.slip || '';
    } catch (e) {
      out.textContent = e.message;
      out.className = 'error';
    }
  });
  $('jac-show').addEventListener('click', async () => {
    const out = $('jacobian');
    out.replaceChildren();
    const layer = $('jac-layer').value;
    try {
      const markdown = await api(`/api/jacobian?format=markdown&max_entries=${state.maxEntriesShown}&of=${$('jac-of').value}&wrt=${encodeURIComponent($('jac-wrt').value)}&layout=${layout()}${layer === '' ? '' : `&layer=${layer}`}`);
      const notes = document.createElement('ul');
      for (const line of markdown.split('\n')) {
        if (line.startsWith('$$')) tex(out, line.replace(/^\$\$|\$\$$/g, ''));
        else if (line.startsWith('### ')) { const h = document.createElement('p'); h.textContent = line.slice(4); out.appendChild(h); }
        else if (line.startsWith('- ')) { const li = document.createElement('li'); li.textContent = line.slice(2); notes.appendChild(li); }
      }
      out.appendChild(notes);
    } catch (e) {
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = e.message;
      out.appendChild(p);
    }
  });
  for (const [id, format] of [['export-json', 'json'], ['export-markdown', 'markdown'], ['export-cli', 'cli']]) {
    $(id).addEventListener('click', async () => {
      const out = $('export-output');
      out.className = '';
      try {
        const data = await api(`/api/export?format=${format}&layout=${layout()}`, undefined, format !== 'cli');
        const text = format === 'cli' ? `# model.json\n${data.model_json}\n# data.json\n${data.data_json}\n# then run:\n${data.command}\n` : data;
        out.textContent = text.length <= MAX_EXPORT_SHOWN ? text
          : `${text.slice(0, MAX_EXPORT_SHOWN)}\n⋯ (${text.length} characters in all: the file link above has every one)\n`;
      } catch (e) {
        out.textContent = e.message;
        out.className = 'error';
      }
    });
  }
  for (const [id, format] of [['export-json-file', 'json'], ['export-markdown-file', 'markdown']]) {
    $(id).addEventListener('click', () => { $(id).href = `/api/export?format=${format}&layout=${layout()}`; });
  }
}

async function loadGraph() {
  const g = await api('/api/graph');
  setSvg($('graph-view'), g.svg);
  const byId = new Map(g.nodes.map(n => [n.id, n]));
  const name = n => n.label ?? (n.op === 'const' ? String(n.value) : `(${n.op})`);
  for (const element of document.querySelectorAll('#graph .graph-node')) {
    element.addEventListener('click', () => {
      for (const e of document.querySelectorAll('#graph .selected')) e.classList.remove('selected');
      element.classList.add('selected');
      const n = byId.get(element.dataset.node);
      const detail = $('graph-detail');
      detail.replaceChildren();
      const p = document.createElement('p');
      p.textContent = `${name(n)}: value ${n.value}, d${g.output}/d${name(n)} = ${n.grad}`;
      detail.appendChild(p);
      if (n.local.length > 0) {
        tex(detail, n.local.map(l => `\\frac{\\partial\\,${tn(name(n))}}{\\partial\\,${tn(name(byId.get(l.operand)))}} = ${l.derivative}`).join(',\\quad '));
      }
      if (n.chain.length > 0) {
        const terms = n.chain.map(c => `${c.consumer_grad} \\cdot ${c.local}`).join(' + ');
        tex(detail, `\\frac{\\partial ${g.output}}{\\partial\\,${tn(name(n))}} = \\sum_{\\text{uses}} \\frac{\\partial ${g.output}}{\\partial\\,\\text{use}} \\cdot \\frac{\\partial\\,\\text{use}}{\\partial\\,${tn(name(n))}} = ${terms} = ${n.grad}`);
      }
    });
  }
}

function tn(s) { return /^[A-Za-z]\w*$/.test(s) ? s : `\\text{${s.replace(/[{}\\]/g, '')}}`; }

window.addEventListener('DOMContentLoaded', async () => {
  wire();
  try {
    await refresh(false);
    await loadGraph();
    document.body.dataset.ready = 'true';
  } catch (e) {
    $('status').textContent = e.message;
    $('status').className = 'error';
  }
});
