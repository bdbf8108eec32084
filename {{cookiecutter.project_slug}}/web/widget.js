// The chat, as a widget on any website and as the full page (index.html): one script for both.
// On your site:  <script src="https://bot.example.com/widget.js" defer></script>
// It adds a launcher button and a chat panel, and talks to Rasa's socketio channel
// (config/credentials.yml) through the nginx that serves this file. That nginx accepts only the
// sites listed in WEB_ALLOWED_ORIGINS (.env). No build step, no framework, nothing from a CDN.
// Every text from the bot or the user is put on the page as text (textContent), never as HTML.
// Options, as data- attributes of the script tag: data-title="Help" (the panel's heading).
"use strict";

(function () {
  // The bot's language and every text shown, from languages/<code>.yml (rendered when the bot was made).
  const TEXTS = {{ cookiecutter.texts.web | tojson }};
  const LANG = {{ cookiecutter.language | tojson }};
  const NAME = {{ cookiecutter.project_name | tojson }};
{% raw %}
  const script = document.currentScript;
  if (!script || window.__rasaChatLoaded) return; // one chat per page, even if the tag is there twice
  window.__rasaChatLoaded = true;
  const base = new URL(".", script.src); // where this file, its CSS and the socket.io client are
  const fullPage = script.dataset.mode === "page"; // index.html: the chat is the page
  // Where Rasa is: this file's origin (nginx proxies /socket.io/ to Rasa). For local development
  // only (`make web`), the full page opened on localhost may name another server:
  // ?server=http://localhost:5005
  const LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"];
  const asked = fullPage ? new URLSearchParams(location.search).get("server") : null;
  const server = asked && LOCAL_HOSTS.includes(location.hostname) ? asked : base.origin;
  // The conversation is kept in this site's localStorage: across page loads and tabs of the site.
  const STORAGE_KEY = "rasa-chat:" + base.href;
  const TAB = Math.random().toString(36).slice(2); // which tab sent the last message (see bot_uttered)

  // --- the elements ------------------------------------------------------------------------------

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  }

  const root = element("div", { class: "rasa-chat", lang: LANG, dir: TEXTS.dir, "data-mode": fullPage ? "page" : "widget" });
  const panel = element("section", { id: "rasa-chat-panel", class: "rasa-chat-panel", "aria-labelledby": "rasa-chat-title" });
  const header = element("header", { class: "rasa-chat-header" });
  const title = element(fullPage ? "h1" : "h2", { id: "rasa-chat-title" }, script.dataset.title || NAME);
  const restart = element("button", { type: "button", class: "rasa-chat-restart" }, TEXTS.new);
  const status = element("p", { id: "rasa-chat-status", class: "rasa-chat-status", role: "status", "data-state": "connecting" }, TEXTS.loading);
  const list = element("ol", { id: "rasa-chat-messages", class: "rasa-chat-messages", "aria-label": TEXTS.conversation, "aria-live": "polite" });
  const form = element("form", { id: "rasa-chat-composer", class: "rasa-chat-composer", autocomplete: "off" });
  const label = element("label", { for: "rasa-chat-message" }, TEXTS.label);
  const row = element("div", { class: "rasa-chat-row" });
  const input = element("input", { id: "rasa-chat-message", name: "message", type: "text", maxlength: "1000", disabled: "" });
  const send = element("button", { type: "submit", disabled: "" }, TEXTS.send);
  row.append(input, send);
  form.append(label, row);
  header.append(title, restart);
  panel.append(header, status, list, form);

  let launcher = null;
  if (fullPage) {
    root.append(panel);
    document.documentElement.lang = LANG;
    document.documentElement.dir = TEXTS.dir;
    (document.getElementById("rasa-chat") || document.body).append(root);
  } else {
    // The launcher opens and closes the panel; Escape closes it and gives the focus back.
    launcher = element("button", { type: "button", class: "rasa-chat-launcher", "aria-controls": panel.id, "aria-expanded": "false" }, TEXTS.open);
    const close = element("button", { type: "button", class: "rasa-chat-close", "aria-label": TEXTS.close }, "×");
    header.append(close);
    panel.setAttribute("role", "dialog");
    panel.hidden = true;
    root.append(launcher, panel);
    document.body.append(root);
    const css = element("link", { rel: "stylesheet", href: new URL("widget.css", base).href });
    document.head.append(css);
    launcher.addEventListener("click", function () { setOpen(panel.hidden); });
    close.addEventListener("click", function () { setOpen(false); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") setOpen(false);
    });
  }

  // --- what is kept: the session id, the messages and whether the panel is open ------------------

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
      return { sessionId: saved.sessionId || null, messages: Array.isArray(saved.messages) ? saved.messages : [],
               open: saved.open === true, writer: saved.writer || null };
    } catch (error) {
      return { sessionId: null, messages: [], open: false, writer: null };
    }
  }
  let state = load();
  function save() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (error) {
      // Storage full or disabled: the chat still works, a reload starts over.
    }
  }

  function setOpen(open) {
    if (fullPage) return;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    state.open = open;
    save();
    if (open) {
      (input.disabled ? panel.querySelector(".rasa-chat-close") : input).focus();
      list.lastElementChild && list.lastElementChild.scrollIntoView({ block: "end" });
    } else {
      launcher.focus();
    }
  }

  function setStatus(kind, text) {
    status.textContent = text;
    status.dataset.state = kind; // "connecting", "online" or "offline" (styles and tests read it)
    const ready = kind === "online";
    input.disabled = !ready;
    send.disabled = !ready;
    if (ready && !panel.hidden) input.focus(); // never steal the focus from the site while closed
  }

  function safeImageUrl(value) {
    try {
      const url = new URL(String(value), server + "/");
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  // One message: {from: "user" | "bot", text?, image?, buttons?: [{title, payload}]}.
  function render(message) {
    const item = element("li", { class: "rasa-chat-message " + (message.from === "user" ? "from-user" : "from-bot") });
    item.append(element("span", { class: "rasa-chat-hidden" }, (message.from === "user" ? TEXTS.you : TEXTS.assistant) + " "));
    if (message.text) item.append(element("p", {}, message.text));
    const src = message.image && safeImageUrl(message.image);
    if (src) {
      const image = element("img", { src: src, alt: TEXTS.image });
      image.addEventListener("load", function () {
        item.scrollIntoView({ block: "end" }); // its height is known only now
      });
      item.append(image);
    }
    if (message.buttons && message.buttons.length) {
      const group = element("div", { class: "rasa-chat-buttons", role: "group", "aria-label": TEXTS.suggestions });
      for (const choice of message.buttons) {
        const button = element("button", { type: "button" }, choice.title);
        button.addEventListener("click", function () {
          sendMessage(choice.title, choice.payload);
          input.focus();
        });
        group.append(button);
      }
      item.append(group);
    }
    list.append(item);
    if (!panel.hidden) item.scrollIntoView({ block: "end" });
  }

  function renderAll() {
    list.replaceChildren();
    state.messages.forEach(render);
  }

  function show(message, writer) {
    state = Object.assign(load(), { open: state.open }); // another tab may have added messages
    if (writer) state.writer = writer;
    state.messages.push(message);
    save();
    render(message);
  }

  renderAll();
  if (state.open) setOpen(true);
  // Another tab of this site talked: show the same conversation here.
  window.addEventListener("storage", function (event) {
    if (event.key !== STORAGE_KEY) return;
    const open = state.open;
    state = Object.assign(load(), { open: open });
    renderAll();
  });

  // --- the connection ----------------------------------------------------------------------------

  let socket = null;
  function sendMessage(text, payload) {
    if (!state.sessionId || !socket || !socket.connected) return;
    show({ from: "user", text: text }, TAB); // this tab records the replies (every tab of the session gets them)
    socket.emit("user_uttered", { message: payload || text, session_id: state.sessionId });
  }

  function connect(io) {
    // WebSocket first: one connection stays on one Rasa process, also with several replicas behind
    // a load balancer. Long-polling only where a proxy blocks WebSockets.
    socket = io(server, { path: "/socket.io", transports: ["websocket", "polling"], tryAllTransports: true });
    setStatus("connecting", TEXTS.connecting);
    socket.on("connect", function () {
      // Rasa's session_persistence: the same id after a reload continues the same conversation.
      socket.emit("session_request", { session_id: load().sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      const id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
      if (id && id !== state.sessionId) {
        state.sessionId = id;
        save();
      }
      setStatus("online", TEXTS.online);
    });
    socket.on("bot_uttered", function (data) {
      if (!data || typeof data !== "object") return;
      const writer = load().writer;
      if (writer && writer !== TAB) return; // the tab that sent the message records the reply
      const attachment = data.attachment || {};
      const payload = attachment.payload || {};
      const replies = data.quick_replies || data.buttons || [];
      show({
        from: "bot",
        text: typeof data.text === "string" ? data.text : "",
        image: attachment.type === "image" ? payload.src : null,
        buttons: replies
          .filter(function (r) { return r && r.title; })
          .map(function (r) { return { title: String(r.title), payload: String(r.payload || r.title) }; }),
      });
    });
    function offline() {
      setStatus("offline", TEXTS.offline);
    }
    socket.on("connect_error", offline);
    socket.on("disconnect", offline);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    sendMessage(text);
    input.value = "";
    input.focus();
  });

  restart.addEventListener("click", function () {
    state.sessionId = null;
    state.messages = [];
    state.writer = TAB;
    save();
    list.replaceChildren();
    if (socket) socket.emit("session_request", { session_id: null });
    input.focus();
  });

  // The socket.io client (vendor/, pinned): the full page loads it with a script tag; on another
  // site it is loaded here, and the site's own `io`, if any, is given back.
  if (typeof window.io === "function" && fullPage) {
    connect(window.io);
    return;
  }
  const previous = window.io;
  const client = element("script", { src: new URL("vendor/socket.io.min.js", base).href });
  client.addEventListener("load", function () {
    const io = window.io;
    if (previous === undefined) delete window.io;
    else window.io = previous;
    connect(io);
  });
  client.addEventListener("error", function () {
    setStatus("offline", TEXTS.no_client);
  });
  document.head.append(client);
{% endraw %}
})();
