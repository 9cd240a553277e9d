// Drive the Microsoft 365 Agents Playground page in headless Chromium.
//
// Usage: node drive.mjs < script.json
// The script is {"baseUrl", "botName", "timeoutMs"?, "viewport"?,
// "failureScreenshot"?, "steps": [...]}; every step is an object with an
// "action" and its parameters:
//   open                                 load baseUrl and wait for the conversation list
//   selectConversation  chat | channel   open "Personal Chat", a group chat by name,
//                                        or a team channel by name ("General"); the
//                                        next waitForText also counts text shown before
//   send                text, mentionBot?, replyTo?
//                                        type a message and send it; in channels it starts
//                                        a new post, or replies to the post containing
//                                        replyTo; mentionBot defaults to true outside
//                                        the personal chat, as the bot only receives mentions there
//   waitForText         text, onlyNew?, timeoutMs?
//                                        wait until the open conversation shows text; with
//                                        onlyNew (the default) it must show it more often
//                                        than at the last send, fill, choose, toggle or
//                                        click step. The bot's name alone, as a message
//                                        author or a mention, does not count.
//   waitForCard         text?, timeoutMs? wait for an Adaptive Card (containing text)
//   fill                label | id, value, card?
//   choose              label | id, choice (title or value), card?
//   toggle              label | id, checked, card?
//   expectValue         label | id, value, card?, timeoutMs?
//                                        wait until a text input or a compact choice set
//                                        shows value (a choice by its title)
//   click               title, card?     click a card button (action) by its title
//   screenshot          path, fullPage?, card?
//                                        with card, first scroll the last card containing
//                                        that text so that its top is in view
//   saveHtml            path             write the page's HTML, for finding selectors
//   accessibilitySnapshot path, card?    write Chromium's accessibility tree of the last card
//                                        (containing card) as JSON: see accessibilitySnapshot below
// "card" picks the last card whose text contains it; without it, the last card
// containing the input or button is used.
//
// Prints one JSON object on stdout: {"ok", "steps": [{"action", "ms"}...],
// "error"?, "failedStep"?, "blockedRequests", "pageErrors"} and exits 0 when
// every step passed, 1 otherwise.
//
// Usage: node drive.mjs --session
// keeps one page open for several batches of steps: see session() below.
//
// Selectors below were read from the page of @microsoft/m365agentsplayground
// 0.2.28. They are internal to that page, so the version is pinned in
// package.json.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const CHROMIUM_PATH = process.env.E2E_CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const PERSONAL_CHAT_LABEL = 'Personal Chat';
const COMPOSER = '[contenteditable="true"][role="textbox"][data-lexical-editor="true"]';
const CARD = '.ac-adaptiveCard';
const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

function readStdin() {
  return fs.readFileSync(0, 'utf8');
}

// Card JSON seen by the page, newest last, so that an input can be found by
// its Adaptive Card id: the rendered DOM carries generated ids only.
class CardRegistry {
  constructor() {
    this.cards = [];
  }

  recordMessage(message) {
    for (const attachment of message?.attachments ?? []) {
      if (attachment.contentType === CARD_CONTENT_TYPE && attachment.content) {
        this.cards.push(attachment.content);
      }
    }
  }

  recordInvokeResponse(body) {
    if (body?.type === CARD_CONTENT_TYPE && body.value) {
      this.cards.push(body.value);
    }
  }

  // Return {input, index} for the newest card that has an input with this id;
  // index counts the inputs of the card body in document order.
  findInput(inputId) {
    for (let i = this.cards.length - 1; i >= 0; i -= 1) {
      const inputs = collectInputs(this.cards[i].body ?? []);
      const index = inputs.findIndex((input) => input.id === inputId);
      if (index >= 0) {
        return { input: inputs[index], index };
      }
    }
    return null;
  }
}

// NOTE: inputs inside Action.ShowCard cards are not collected, so an input
// there can be addressed by label only.
function collectInputs(elements) {
  const inputs = [];
  for (const element of elements) {
    if (!element || typeof element !== 'object') {
      continue;
    }
    if (typeof element.type === 'string' && element.type.startsWith('Input.')) {
      inputs.push(element);
    }
    for (const key of ['items', 'columns', 'body']) {
      if (Array.isArray(element[key])) {
        inputs.push(...collectInputs(element[key]));
      }
    }
  }
  return inputs;
}

function isLoopbackUrl(url) {
  const parsed = new URL(url);
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') {
    return true;
  }
  return LOOPBACK_HOSTS.has(parsed.hostname);
}

// The element that shows the open conversation: the outermost block that contains
// a message composer but neither the conversation list nor the log panel.
function conversationPane(page) {
  return page
    .locator('div')
    .filter({ has: page.locator(COMPOSER) })
    .filter({ hasNot: page.getByRole('region', { name: 'Chat and Teams Channel' }) })
    .filter({ hasNot: page.getByText('Log Panel', { exact: true }) })
    .first();
}

class Driver {
  constructor(page, script, cards) {
    this.page = page;
    this.script = script;
    this.cards = cards;
    this.timeoutMs = script.timeoutMs ?? 10000;
    this.conversationKind = null;
  }

  async run(step) {
    switch (step.action) {
      case 'open':
        return this.open();
      case 'selectConversation':
        return this.selectConversation(step);
      case 'send':
        return this.send(step);
      case 'waitForText':
        return this.waitForText(step);
      case 'waitForCard':
        return this.waitForCard(step);
      case 'fill':
        return this.fill(step);
      case 'choose':
        return this.choose(step);
      case 'toggle':
        return this.toggle(step);
      case 'expectValue':
        return this.expectValue(step);
      case 'click':
        return this.click(step);
      case 'screenshot':
        return this.screenshot(step);
      case 'saveHtml':
        return this.saveHtml(step);
      case 'accessibilitySnapshot':
        return this.accessibilitySnapshot(step);
      default:
        throw new Error(`unknown action ${JSON.stringify(step.action)}`);
    }
  }

  async open() {
    await this.page.goto(this.script.baseUrl, { waitUntil: 'load' });
    await this.page.getByRole('treeitem', { name: PERSONAL_CHAT_LABEL }).waitFor();
  }

  async selectConversation(step) {
    let item;
    if (step.channel) {
      // Channels are listed as "<team name> - <channel name>".
      const suffix = ` - ${step.channel}`;
      item = this.page.locator(`[role="treeitem"][aria-label$="${cssString(suffix)}"]`);
      this.conversationKind = 'channel';
    } else if (step.chat) {
      item = this.page.getByRole('treeitem', { name: step.chat, exact: true });
      this.conversationKind = step.chat === PERSONAL_CHAT_LABEL ? 'personal' : 'groupChat';
    } else {
      throw new Error('selectConversation needs "chat" or "channel"');
    }
    await item.click();
    await conversationPane(this.page).locator(COMPOSER).first().waitFor();
    // Text counted at a send or click in another conversation does not apply to this one.
    await this.page.evaluate(() => {
      delete window.__helpdeskE2eShownBlocks;
    });
  }

  async send(step) {
    await this.markShownElements();
    if (typeof step.text !== 'string') {
      throw new Error('send needs "text"');
    }
    const pane = conversationPane(this.page);
    let composer;
    let submit;
    if (this.conversationKind === 'channel' && step.replyTo) {
      const post = pane.locator('.fui-Card[role="group"]').filter({ hasText: step.replyTo }).last();
      composer = post.locator(COMPOSER);
      submit = () => this.page.keyboard.press('Enter');
    } else if (this.conversationKind === 'channel') {
      composer = pane.locator(COMPOSER).first();
      submit = () => pane.getByRole('button', { name: 'Post', exact: true }).click();
    } else {
      composer = pane.locator(COMPOSER).first();
      submit = () => this.page.keyboard.press('Enter');
    }

    const mentionBot = step.mentionBot ?? this.conversationKind !== 'personal';
    await composer.click();
    if (mentionBot) {
      await this.typeBotMention();
      await this.page.keyboard.insertText(' ');
    }
    await this.page.keyboard.insertText(step.text);
    await submit();
  }

  // The mention menu opens on typed keys only, so the name prefix is typed key by key.
  async typeBotMention() {
    const botName = this.script.botName;
    if (!botName) {
      throw new Error('mentioning the bot needs "botName" in the script');
    }
    await this.page.keyboard.type(`@${botName.slice(0, 4)}`);
    await this.page.locator('#typeahead-menu [role="menuitem"]', { hasText: botName }).click();
  }

  // Remember the text blocks of the open conversation, so that waitForText can
  // tell a reply from text that was already shown. Blocks are compared by their
  // text because the page re-creates message elements when it re-renders.
  async markShownElements() {
    await this.page.evaluate(({ helperSource, composerSelector }) => {
      const collect = new Function(`return (${helperSource})`)();
      window.__helpdeskE2eShownBlocks = collect(composerSelector);
    }, { helperSource: collectTextBlocks.toString(), composerSelector: COMPOSER });
  }

  async waitForText(step) {
    if (typeof step.text !== 'string' || step.text === '') {
      throw new Error('waitForText needs "text"');
    }
    await this.page.waitForFunction(({ helperSource, ...options }) => {
      const collect = new Function(`return (${helperSource})`)();
      const countMatches = (blocks) => blocks.filter((block) => (
        block.content.includes(options.text)
        && !block.childContents.some((child) => child.includes(options.text))
        && !(options.botName && block.content.trim() === options.botName)
      )).length;
      const before = options.onlyNew ? countMatches(window.__helpdeskE2eShownBlocks ?? []) : 0;
      return countMatches(collect(options.composerSelector)) > before;
    }, {
      helperSource: collectTextBlocks.toString(),
      text: step.text,
      botName: this.script.botName ?? '',
      onlyNew: step.onlyNew ?? true,
      composerSelector: COMPOSER,
    }, { timeout: step.timeoutMs ?? this.timeoutMs, polling: 100 });
  }

  async waitForCard(step) {
    let cards = conversationPane(this.page).locator(CARD);
    if (step.text) {
      cards = cards.filter({ hasText: step.text });
    }
    await cards.last().waitFor({ timeout: step.timeoutMs ?? this.timeoutMs });
  }

  // Return the card to act on: the last one containing step.card, or else the
  // last one containing the element that innerLocatorFor finds.
  cardWith(step, innerLocatorFor) {
    const cards = conversationPane(this.page).locator(CARD);
    if (step.card) {
      return cards.filter({ hasText: step.card }).last();
    }
    return cards.filter({ has: innerLocatorFor(this.page) }).last();
  }

  // Return a locator for an input named by its label or by its card id, and the
  // card JSON of that input when it is known.
  async resolveInput(step) {
    if (step.label) {
      return { field: await this.inputByLabel(step, step.label), input: null };
    }
    if (step.id) {
      const found = this.cards.findInput(step.id);
      if (!found) {
        throw new Error(`no card seen by the page has an input with id ${JSON.stringify(step.id)}`);
      }
      if (found.input.label) {
        return { field: await this.inputByLabel(step, found.input.label), input: found.input };
      }
      const card = this.cardWith(step, (root) => root.locator('.ac-input-container'));
      const container = card.locator('.ac-input-container').nth(found.index);
      return {
        field: container.locator('input, textarea, [role="radiogroup"], [role="group"]').first(),
        input: found.input,
      };
    }
    throw new Error(`${step.action} needs "label" or "id"`);
  }

  // The card renders each input label as <label for=INPUT_ID>, followed by a
  // "*" when the input is required.
  async inputByLabel(step, labelText) {
    const pattern = new RegExp(`^\\s*${escapeRegExp(labelText)}\\s*\\*?\\s*$`);
    const labels = (root) => root.locator('label').filter({ hasText: pattern });
    const label = labels(this.cardWith(step, labels)).first();
    const inputId = await label.getAttribute('for');
    if (!inputId) {
      throw new Error(`the label ${JSON.stringify(labelText)} names no input`);
    }
    return this.page.locator(`[id="${cssString(inputId)}"]`);
  }

  async fill(step) {
    await this.markShownElements();
    const { field } = await this.resolveInput(step);
    await field.fill(String(step.value ?? ''));
  }

  async choose(step) {
    await this.markShownElements();
    const { field, input } = await this.resolveInput(step);
    const choices = Array.isArray(step.choice) ? step.choice : [step.choice];
    const titles = choices.map((choice) => choiceTitle(input, String(choice)));
    const role = await field.getAttribute('role');

    if (role === 'combobox') {
      await field.click();
      for (const title of titles) {
        await this.page.getByRole('option', { name: title, exact: true }).click();
      }
      if ((await field.getAttribute('aria-expanded')) === 'true') {
        await this.page.keyboard.press('Escape');
      }
      return;
    }
    // Expanded choice sets render radio buttons or checkboxes with labels.
    for (const title of titles) {
      await field.getByLabel(title, { exact: true }).check();
    }
  }

  async toggle(step) {
    await this.markShownElements();
    const { field } = await this.resolveInput(step);
    await field.setChecked(Boolean(step.checked));
  }

  async expectValue(step) {
    const { field, input } = await this.resolveInput(step);
    const isChoiceSet = (await field.getAttribute('role')) === 'combobox';
    const expected = isChoiceSet ? choiceTitle(input, String(step.value)) : String(step.value ?? '');
    const deadline = Date.now() + (step.timeoutMs ?? this.timeoutMs);
    let actual = await field.inputValue();
    while (actual !== expected) {
      if (Date.now() >= deadline) {
        const name = JSON.stringify(step.id ?? step.label);
        throw new Error(`input ${name} shows ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
      }
      await this.page.waitForTimeout(100);
      actual = await field.inputValue();
    }
  }

  async click(step) {
    await this.markShownElements();
    if (!step.title) {
      throw new Error('click needs "title"');
    }
    const button = (root) => root.getByRole('button', { name: step.title, exact: true });
    await button(this.cardWith(step, button)).click();
  }

  async screenshot(step) {
    if (!step.path) {
      throw new Error('screenshot needs "path"');
    }
    fs.mkdirSync(path.dirname(step.path), { recursive: true });
    if (step.card) {
      const card = conversationPane(this.page).locator(CARD).filter({ hasText: step.card }).last();
      await card.evaluate((element) => element.scrollIntoView({ block: 'start' }));
    }
    await this.page.screenshot({ path: step.path, fullPage: Boolean(step.fullPage) });
  }

  async saveHtml(step) {
    if (!step.path) {
      throw new Error('saveHtml needs "path"');
    }
    fs.mkdirSync(path.dirname(step.path), { recursive: true });
    fs.writeFileSync(step.path, await this.page.content());
  }

  // Write the card's subtree of Chromium's accessibility tree (CDP
  // Accessibility.getFullAXTree) to step.path as nested JSON nodes:
  // {role, name, nameFrom, description?, value?, properties, ignored,
  // children, dom?}. properties contains Chromium's AX properties such as
  // required, invalid, focusable, checked and expanded. dom is set on nodes of
  // form controls, buttons and images, with what the page shows for them:
  // {tag, type, role, visibleLabel, text, alt, placeholder}. visibleLabel is
  // the text of the element's <label>s or aria-labelledby elements, or null.
  async accessibilitySnapshot(step) {
    if (!step.path) {
      throw new Error('accessibilitySnapshot needs "path"');
    }
    let cards = conversationPane(this.page).locator(CARD);
    if (step.card) {
      cards = cards.filter({ hasText: step.card });
    }
    const card = cards.last();
    await card.waitFor();
    const marked = await card.evaluate(markCardForSnapshot, {
      rootAttribute: AX_ROOT_ATTRIBUTE,
      indexAttribute: AX_INDEX_ATTRIBUTE,
      selector: AX_CHECKED_SELECTOR,
    });

    const cdp = await this.page.context().newCDPSession(this.page);
    try {
      const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
      const { nodeId: cardNodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: `[${AX_ROOT_ATTRIBUTE}]` });
      const { node: cardNode } = await cdp.send('DOM.describeNode', { nodeId: cardNodeId });
      const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: `[${AX_INDEX_ATTRIBUTE}]` });
      const domByBackendId = new Map();
      for (const nodeId of nodeIds) {
        const { node } = await cdp.send('DOM.describeNode', { nodeId });
        const attributes = attributeMap(node.attributes);
        domByBackendId.set(node.backendNodeId, marked[Number(attributes[AX_INDEX_ATTRIBUTE])]);
      }
      const { nodes } = await cdp.send('Accessibility.getFullAXTree');
      const tree = axSubtree(nodes, cardNode.backendNodeId, domByBackendId);
      if (!tree) {
        throw new Error('the card is not in the accessibility tree');
      }
      fs.mkdirSync(path.dirname(step.path), { recursive: true });
      fs.writeFileSync(step.path, `${JSON.stringify(tree, null, 2)}\n`);
    } finally {
      await cdp.detach();
      await this.page.evaluate(unmarkCards, { rootAttribute: AX_ROOT_ATTRIBUTE, indexAttribute: AX_INDEX_ATTRIBUTE });
    }
  }
}

const AX_ROOT_ATTRIBUTE = 'data-helpdesk-e2e-ax-root';
const AX_INDEX_ATTRIBUTE = 'data-helpdesk-e2e-ax-index';
// Elements whose accessible names the accessibility tests check against what the page shows.
const AX_CHECKED_SELECTOR = 'input, textarea, select, button, img, [role="button"], [role="combobox"], '
  + '[role="radiogroup"], [role="radio"], [role="checkbox"], [role="listbox"], [role="textbox"], [role="img"]';

// Runs in the page. Marks the card and its form controls, buttons and images,
// and returns what the page shows for each marked element, by index.
function markCardForSnapshot(cardElement, { rootAttribute, indexAttribute, selector }) {
  const textOf = (element) => (element ? element.innerText.replace(/\s+/g, ' ').trim() : '');
  cardElement.setAttribute(rootAttribute, '');
  return [...cardElement.querySelectorAll(selector)].map((element, index) => {
    element.setAttribute(indexAttribute, String(index));
    const labelElements = [...(element.labels ?? [])];
    for (const id of (element.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean)) {
      const labelElement = element.ownerDocument.getElementById(id);
      if (labelElement) {
        labelElements.push(labelElement);
      }
    }
    const labels = [...new Set(labelElements)].map(textOf).filter(Boolean);
    return {
      tag: element.tagName.toLowerCase(),
      type: element.getAttribute('type'),
      role: element.getAttribute('role'),
      visibleLabel: labels.length ? labels.join(' ') : null,
      text: textOf(element),
      alt: element.getAttribute('alt'),
      placeholder: element.getAttribute('placeholder'),
      shown: element.getClientRects().length > 0,
    };
  });
}

// Runs in the page. Removes the marks that markCardForSnapshot set.
function unmarkCards({ rootAttribute, indexAttribute }) {
  for (const element of document.querySelectorAll(`[${rootAttribute}], [${indexAttribute}]`)) {
    element.removeAttribute(rootAttribute);
    element.removeAttribute(indexAttribute);
  }
}

function attributeMap(flat) {
  const attributes = {};
  for (let i = 0; i + 1 < (flat ?? []).length; i += 2) {
    attributes[flat[i]] = flat[i + 1];
  }
  return attributes;
}

// Return the nested tree of the AX node whose DOM node is rootBackendId.
function axSubtree(nodes, rootBackendId, domByBackendId) {
  const byId = new Map(nodes.map((node) => [node.nodeId, node]));
  const rootNode = nodes.find((node) => node.backendDOMNodeId === rootBackendId);
  const build = (node) => {
    const properties = {};
    for (const property of node.properties ?? []) {
      properties[property.name] = property.value?.value ?? null;
    }
    const result = {
      role: node.role?.value ?? null,
      name: node.name?.value ?? '',
      nameFrom: (node.name?.sources ?? []).find((source) => source.value && !source.superseded)?.type ?? null,
      properties,
      ignored: Boolean(node.ignored),
      children: (node.childIds ?? []).map((id) => byId.get(id)).filter(Boolean).map(build),
    };
    if (node.description?.value) {
      result.description = node.description.value;
    }
    if (node.value?.value !== undefined && node.value?.value !== '') {
      result.value = node.value.value;
    }
    if (domByBackendId.has(node.backendDOMNodeId)) {
      result.dom = domByBackendId.get(node.backendDOMNodeId);
    }
    return result;
  };
  return rootNode ? build(rootNode) : null;
}

// Runs in the page. Returns the visible text blocks of the open conversation:
// each element with text of its own (or containing formatted text), outside the
// message composers, as its text and the texts of its child blocks. The conversation is the outermost
// block around the composer that contains neither the conversation list nor the
// log panel.
function collectTextBlocks(composerSelector) {
  const composer = document.querySelector(composerSelector);
  if (!composer) {
    return [];
  }
  const sidebar = document.querySelector('[role="region"][aria-label="Chat and Teams Channel"]');
  const logTitle = [...document.querySelectorAll('span, div')]
    .find((element) => element.children.length === 0 && element.textContent === 'Log Panel');
  let pane = composer;
  for (let parent = pane.parentElement; parent; parent = parent.parentElement) {
    if ((sidebar && parent.contains(sidebar)) || (logTitle && parent.contains(logTitle))) {
      break;
    }
    pane = parent;
  }

  // Text formatting inside a paragraph belongs to the paragraph, so that
  // "<p><strong>Name</strong> commands</p>" is one block and not a bare name.
  const inlineTags = new Set(['A', 'B', 'BR', 'CODE', 'DEL', 'EM', 'I', 'MARK', 'S', 'SMALL', 'STRONG', 'SUB', 'SUP', 'U']);
  const blockOf = (element) => {
    let block = element;
    while (inlineTags.has(block.tagName) && block.parentElement && pane.contains(block.parentElement)) {
      block = block.parentElement;
    }
    return block;
  };

  const blocks = [];
  const visited = new Set();
  for (const element of pane.querySelectorAll('*')) {
    const ownText = [...element.childNodes]
      .some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim() !== '');
    if (!ownText) {
      continue;
    }
    const block = blockOf(element);
    if (visited.has(block)) {
      continue;
    }
    visited.add(block);
    if (block.closest('[contenteditable="true"]') || block.getClientRects().length === 0) {
      continue;
    }
    blocks.push({
      content: block.textContent,
      childContents: [...block.children]
        .filter((child) => !inlineTags.has(child.tagName))
        .map((child) => child.textContent),
    });
  }
  return blocks;
}

// Map a choice value to its title when the card JSON is known; the page lists titles.
function choiceTitle(input, choice) {
  const match = input?.choices?.find((item) => item.value === choice);
  return match ? match.title : choice;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function cssString(text) {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

// Launch Chromium with a fresh profile and open a page whose requests to other
// hosts are dropped. Blocked URLs and page errors go into results.current,
// which a session replaces for each batch of steps.
async function launchPage(script, results) {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'helpdesk-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: script.viewport ?? { width: 1400, height: 900 },
    timeout: 30000,
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
  };

  try {
    // Only this machine may be contacted; the page's CDN fonts and scripts are dropped.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLoopbackUrl(url)) {
        return route.continue();
      }
      results.current.blockedRequests.push(url);
      return route.abort('blockedbyclient');
    });
    context.setDefaultTimeout(script.timeoutMs ?? 10000);

    const page = context.pages()[0] ?? (await context.newPage());
    const cards = new CardRegistry();
    page.on('pageerror', (error) => results.current.pageErrors.push(String(error)));
    page.on('websocket', (socket) => {
      if (!socket.url().includes('/_ws_conversation/')) {
        return;
      }
      socket.on('framereceived', (frame) => {
        try {
          cards.recordMessage(JSON.parse(frame.payload).message);
        } catch {
          // Frames that are not JSON carry no card.
        }
      });
    });
    page.on('response', async (response) => {
      if (!response.url().endsWith('/_conversation/v1/invoke') || !response.ok()) {
        return;
      }
      try {
        cards.recordInvokeResponse(await response.json());
      } catch {
        // An invoke response without a JSON body carries no card.
      }
    });
    return { driver: new Driver(page, script, cards), close };
  } catch (error) {
    await close();
    throw error;
  }
}

function newResult() {
  return { ok: false, steps: [], blockedRequests: [], pageErrors: [] };
}

// Run steps in order and record each in result, stopping at the first failing step.
async function runSteps(driver, steps, result, failureScreenshot) {
  for (const [index, step] of (steps ?? []).entries()) {
    const started = Date.now();
    try {
      await driver.run(step);
    } catch (error) {
      result.failedStep = index;
      result.error = `step ${index} (${step.action}) failed: ${error.message}`;
      if (failureScreenshot) {
        await driver.screenshot({ path: failureScreenshot, fullPage: true }).catch(() => {});
        result.failureScreenshot = failureScreenshot;
      }
      return result;
    }
    result.steps.push({ action: step.action, ms: Date.now() - started });
  }
  result.ok = true;
  return result;
}

function checkedScript(script) {
  if (!script.baseUrl || !isLoopbackUrl(script.baseUrl)) {
    throw new Error(`baseUrl must be a loopback URL, got ${JSON.stringify(script.baseUrl)}`);
  }
  return script;
}

function printResult(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main() {
  const script = checkedScript(JSON.parse(readStdin()));
  const results = { current: newResult() };
  const { driver, close } = await launchPage(script, results);
  try {
    return await runSteps(driver, script.steps, results.current, script.failureScreenshot);
  } finally {
    await close();
  }
}

// Session mode: one page stays open while the caller acts as other users
// between batches of steps, because the page shows only the messages that
// arrive while it is open. The first stdin line is the script without steps;
// each further line is {"steps", "failureScreenshot"?} and gets one result
// line. The page closes at the end of stdin.
async function session() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) {
    throw new Error('session mode needs the script on the first stdin line');
  }
  const script = checkedScript(JSON.parse(first.value));
  const results = { current: newResult() };
  const { driver, close } = await launchPage(script, results);
  try {
    printResult({ ok: true, ready: true });
    for (let line = await lines.next(); !line.done; line = await lines.next()) {
      if (line.value.trim() === '') {
        continue;
      }
      results.current = newResult();
      try {
        const batch = JSON.parse(line.value);
        printResult(await runSteps(driver, batch.steps, results.current, batch.failureScreenshot));
      } catch (error) {
        printResult({ ...results.current, ok: false, error: String(error?.stack ?? error) });
      }
    }
  } finally {
    await close();
  }
  return { ok: true, closed: true };
}

(process.argv.includes('--session') ? session() : main())
  .then((result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(result.ok ? 0 : 1);
  })
  .catch((error) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: String(error?.stack ?? error) })}\n`);
    process.exit(1);
  });
