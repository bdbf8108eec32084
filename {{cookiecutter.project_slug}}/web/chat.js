// The chat page's script: talks to Rasa's socketio channel (config/credentials.yml).
// No build step and no framework. Every text from the bot or the user is put on the page as text
// (textContent), never as HTML.
"use strict";

(function () {
  const STORAGE_KEY = "rasa-chat:" + location.pathname;
  // Where Rasa is: the page's own origin (nginx proxies /socket.io/ to Rasa). For local development
  // only (`make web`), a page opened on localhost may name another server: ?server=http://localhost:5005
  const LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"];
  const asked = new URLSearchParams(location.search).get("server");
  const server = asked && LOCAL_HOSTS.includes(location.hostname) ? asked : undefined;

  const list = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const send = form.querySelector("button[type=submit]");
  const status = document.getElementById("status");
  const restart = document.getElementById("restart");

  // The session id and the messages shown so far, kept across reloads (Rasa keeps the tracker).
  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
      return { sessionId: saved.sessionId || null, messages: Array.isArray(saved.messages) ? saved.messages : [] };
    } catch (error) {
      return { sessionId: null, messages: [] };
    }
  }
  const state = load();
  function save() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (error) {
      // Storage full or disabled: the chat still works, a reload starts over.
    }
  }

  function setStatus(kind, text) {
    status.textContent = text;
    status.dataset.state = kind; // "connecting", "online" or "offline" (styles and tests read it)
    const ready = kind === "online";
    input.disabled = !ready;
    send.disabled = !ready;
    if (ready) input.focus();
  }

  function safeImageUrl(value) {
    try {
      const url = new URL(String(value), location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  // One message: {from: "user" | "bot", text?, image?, buttons?: [{title, payload}]}.
  function render(message) {
    const item = document.createElement("li");
    item.className = "message " + (message.from === "user" ? "from-user" : "from-bot");
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = message.from === "user" ? "You: " : "Assistant: ";
    item.appendChild(who);
    if (message.text) {
      const text = document.createElement("p");
      text.textContent = message.text;
      item.appendChild(text);
    }
    const src = message.image && safeImageUrl(message.image);
    if (src) {
      const image = document.createElement("img");
      image.src = src;
      image.alt = "Image sent by the assistant";
      image.addEventListener("load", function () {
        item.scrollIntoView({ block: "end" }); // its height is known only now
      });
      item.appendChild(image);
    }
    if (message.buttons && message.buttons.length) {
      const group = document.createElement("div");
      group.className = "buttons";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested answers");
      for (const choice of message.buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = choice.title;
        button.addEventListener("click", function () {
          sendMessage(choice.title, choice.payload);
          input.focus();
        });
        group.appendChild(button);
      }
      item.appendChild(group);
    }
    list.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function show(message) {
    state.messages.push(message);
    save();
    render(message);
  }

  state.messages.forEach(render);

  if (typeof io !== "function") {
    setStatus("offline", "Cannot load the chat client (vendor/socket.io.min.js).");
    return;
  }
  // WebSocket first: one connection stays on one Rasa process, also with several replicas behind a
  // load balancer. Long-polling only where a proxy blocks WebSockets.
  const socket = io(server, { path: "/socket.io", transports: ["websocket", "polling"], tryAllTransports: true });

  function sendMessage(text, payload) {
    if (!state.sessionId || !socket.connected) return;
    show({ from: "user", text: text });
    socket.emit("user_uttered", { message: payload || text, session_id: state.sessionId });
  }

  setStatus("connecting", "Connecting to the assistant…");
  socket.on("connect", function () {
    // Rasa's session_persistence: the same id after a reload continues the same conversation.
    socket.emit("session_request", { session_id: state.sessionId });
  });
  socket.on("session_confirm", function (sessionId) {
    const id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
    if (id && id !== state.sessionId) {
      state.sessionId = id;
      save();
    }
    setStatus("online", "Connected. Type a message and press Enter.");
  });
  socket.on("bot_uttered", function (data) {
    if (!data || typeof data !== "object") return;
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
    setStatus("offline", "Cannot reach the assistant. Retrying…");
  }
  socket.on("connect_error", offline);
  socket.on("disconnect", offline);

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
    save();
    list.replaceChildren();
    socket.emit("session_request", { session_id: null });
    input.focus();
  });
})();
