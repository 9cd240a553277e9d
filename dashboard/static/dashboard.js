// The dashboard tab: signs in through Teams SSO, then shows /api/report as figures, a chart and tables.
//
// The token comes from microsoftTeams.authentication.getAuthToken() inside
// Teams. Outside Teams (a browser, or the tests), a token can be given in
// the URL fragment as #token=..., which the browser never sends to the
// server; the server checks every token the same way.

'use strict';

const LEVEL_NAMES = {
  elementary: 'Elementary (K–5)',
  middle: 'Middle (6–8)',
  secondary: 'Secondary (9–12)',
  unknown: 'Not in the school directory',
};

let tokenPromise = null;
let chartUrl = null;

function signIn() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  if (fragment.get('token')) {
    return Promise.resolve(fragment.get('token'));
  }
  if (window.microsoftTeams) {
    return window.microsoftTeams.app.initialize().then(() => window.microsoftTeams.authentication.getAuthToken());
  }
  return Promise.reject(new Error('Open this dashboard as a tab in Microsoft Teams to sign in.'));
}

function token() {
  if (!tokenPromise) {
    tokenPromise = signIn();
  }
  return tokenPromise;
}

function queryString(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (value) {
      params.set(name, value);
    }
  }
  return params.toString();
}

async function fetchWithToken(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${await token()}` } });
  if (!response.ok) {
    let message = `The server responded with HTTP ${response.status}.`;
    try {
      message = (await response.json()).error || message;
    } catch (error) {
      // The body was not JSON; keep the status message.
    }
    throw new Error(message);
  }
  return response;
}

function setStatus(text, state) {
  const status = document.getElementById('status');
  status.textContent = text;
  document.body.dataset.state = state;
}

function cell(tag, text, numeric) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (numeric) {
    element.className = 'number';
  }
  return element;
}

function fillTable(id, headings, rows) {
  const table = document.getElementById(id);
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  headings.forEach((heading, index) => head.appendChild(cell('th', heading, index > 0)));
  const body = table.createTBody();
  if (rows.length === 0) {
    const row = body.insertRow();
    const empty = cell('td', 'None in this range');
    empty.colSpan = headings.length;
    row.appendChild(empty);
  }
  for (const values of rows) {
    const row = body.insertRow();
    values.forEach((value, index) => row.appendChild(cell('td', String(value), index > 0)));
  }
}

function percent(value) {
  return value === null ? '–' : `${Math.round(value * 1000) / 10}%`;
}

function hours(summary) {
  if (!summary.count) {
    return 'No requests yet';
  }
  return `median ${summary.median_hours.toFixed(1)} h, 90th percentile ${summary.p90_hours.toFixed(1)} h`;
}

function showKeyFigures(report) {
  const requests = report.requests;
  const ratings = report.ratings;
  const figures = [
    ['Teacher touches', report.touches.total],
    ['Teachers reached', report.teachers.reached],
    ['Requests filed', requests.filed],
    ['Solved by self-help', `${percent(requests.deflection_rate)} (${requests.deflected})`],
    ['First response (school hours)', hours(report.response_times.first_response)],
    ['Resolution (school hours)', hours(report.response_times.resolution)],
    ['Ratings', ratings.count ? `${ratings.mean.toFixed(1)} out of 5 from ${ratings.count}` : 'None yet'],
    ['Open now', report.backlog.total],
    ['Small-group sessions', `${report.sessions.sessions} with ${report.sessions.attendees} attendees`],
    ['Champion touches', report.champions.touches],
    ['Reopened requests', requests.reopened],
    ['Knowledge-base gaps', report.kb_gaps.count === null ? 'Not recorded by school' : report.kb_gaps.count],
  ];
  const list = document.getElementById('key-figures');
  list.replaceChildren();
  for (const [title, value] of figures) {
    const item = document.createElement('div');
    item.append(cell('dt', title), cell('dd', String(value)));
    list.appendChild(item);
  }
}

function showTables(report) {
  fillTable('by-level', ['Level', 'Touches'], report.touches.by_level.map((row) => [row.label, row.count]));
  fillTable(
    'by-school-level',
    ['School level', 'Touches'],
    report.touches.by_school_level.map((row) => [LEVEL_NAMES[row.school_level] || row.school_level, row.count]),
  );
  fillTable('backlog', ['Age', 'Requests'], report.backlog.by_age.map((row) => [row.bucket, row.count]));
  fillTable('ratings', ['Rating', 'Count'], Object.entries(report.ratings.distribution).map(([value, count]) => [`${value} out of 5`, count]));
  const touchesBySchool = new Map(report.touches.by_school.map((row) => [row.school, row.count]));
  fillTable(
    'by-school',
    ['School', 'Touches', 'Teachers reached', 'Teachers', 'Share reached'],
    report.teachers.by_school.map((row) => [
      row.school,
      touchesBySchool.get(row.school) || 0,
      row.reached,
      row.teachers === null ? '–' : row.teachers,
      percent(row.share),
    ]),
  );
  fillTable('by-category', ['Category', 'Touches'], report.touches.by_category.map((row) => [row.name, row.count]));
  fillTable('by-tst', ['Person', 'Touches'], report.touches.by_tst.map((row) => [row.name, row.count]));
}

function fillFilters(form, report) {
  const query = report.query;
  form.elements.from.value = query.from;
  form.elements.to.value = query.to;
  const levels = form.elements.level;
  if (levels.options.length === 1) {
    for (const level of report.directory.school_levels) {
      levels.add(new Option(LEVEL_NAMES[level], level));
    }
    for (const school of report.directory.schools) {
      form.elements.school.add(new Option(school.name, school.name));
    }
  }
  levels.value = query.school_level || '';
  form.elements.school.value = query.school || '';
}

function describeScope(report) {
  const query = report.query;
  const last = new Date(`${query.to}T00:00:00Z`);
  last.setUTCDate(last.getUTCDate() - 1);
  const parts = [`${query.from} to ${last.toISOString().slice(0, 10)}`];
  parts.push(query.school || (query.school_level ? `${query.school_level} schools` : 'all schools'));
  document.getElementById('scope').textContent = parts.join(', ');
}

async function showChart(search, altText) {
  const response = await fetchWithToken(`/api/report.png?${search}`);
  if (chartUrl) {
    URL.revokeObjectURL(chartUrl);
  }
  chartUrl = URL.createObjectURL(await response.blob());
  const image = document.getElementById('chart');
  image.alt = altText;
  await new Promise((resolve) => {
    image.onload = resolve;
    image.onerror = resolve;
    image.src = chartUrl;
  });
}

async function load(form, search) {
  setStatus('Loading the report…', 'loading');
  try {
    const report = await (await fetchWithToken(`/api/report?${search}`)).json();
    fillFilters(form, report);
    describeScope(report);
    showKeyFigures(report);
    showTables(report);
    await showChart(search, report.chart_alt_text);
    document.getElementById('report').hidden = false;
    setStatus(`Updated ${new Date().toLocaleString()}.`, 'ready');
  } catch (error) {
    setStatus(error.message, 'error');
  }
}

async function downloadCsv(form) {
  try {
    const search = queryString(form);
    const response = await fetchWithToken(`/api/report.csv?${search}`);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = `helpdesk-touches-${form.elements.from.value}-to-${form.elements.to.value}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (error) {
    setStatus(error.message, 'error');
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('filters');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load(form, queryString(form));
  });
  document.getElementById('download-csv').addEventListener('click', () => downloadCsv(form));
  load(form, '');
});
