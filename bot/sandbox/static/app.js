/* Đôn Đốc sandbox page: pick who you are, chat with the bot through the local Telegram emulator,
   move the sandbox clock, start over. Plain JavaScript, no framework, no network beyond this app. */
"use strict";

(function () {
  const WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"];
  const ERRORS = {
    past: "Lịch chỉ tua về phía trước: chọn một ngày sau hôm nay (của lịch thử).",
    range: "Mỗi lần tua tối đa khoảng một năm.",
    date: "Ngày không hợp lệ.",
    busy: "Đang tua lịch hoặc làm lại từ đầu, chờ một chút rồi thử lại.",
    fixed: "Đồng hồ của bản chạy này không tua được.",
    empty: "Tin nhắn trống.",
    empty_file: "Tệp trống.",
    emulator: "Telegram giả lập không nhận yêu cầu này",
    network: "Không kết nối được tới bản dùng thử (đã dừng `make run`?).",
  };
  const GROUPS = [
    { key: "staff", title: "Văn phòng, Thường trực", roles: ["office", "admin", "leader"] },
    { key: "units", title: "Bí thư, phó bí thư các chi bộ", roles: ["secretary", "deputy"] },
    { key: "new", title: "Chưa đăng ký", roles: [null] },
  ];

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };

  const ui = {
    app: $("app"), people: $("people"), messages: $("messages"), placeholder: $("placeholder"),
    chatSub: $("chat-sub"), botName: $("bot-name"), input: $("input"), composer: $("composer"),
    file: $("file"), attach: $("attach"), menuBtn: $("menu-btn"), menuPop: $("menu-pop"),
    invites: $("invites"), invitesList: $("invites-list"), clock: $("clock"),
    clockNow: $("clock-now"), clockDate: $("clock-date"), clockTo: $("clock-to"),
    reset: $("reset"), newcomer: $("newcomer"), back: $("back"), toast: $("toast"),
  };

  let state = { personas: [], invites: [], now: null, bot: {} };
  let current = null; // user id being played
  let localNewcomers = []; // {user_id, name} made here, not yet talking to the bot
  let chat = { messages: [], menu: [], key: "" };
  let pressed = new Map(); // message id -> label pressed, until the bot answers
  let pollToken = 0;
  let pollAbort = null;
  let stateTimer = null;
  let busy = false;
  let seen = loadSeen();

  // ---------------------------------------------------------------- helpers

  function loadSeen() {
    try { return JSON.parse(localStorage.getItem("dondoc.seen") || "{}"); } catch (e) { return {}; }
  }
  function saveSeen() {
    try { localStorage.setItem("dondoc.seen", JSON.stringify(seen)); } catch (e) { /* private mode */ }
  }

  async function api(method, path, body) {
    const init = { method, headers: {} };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try { res = await fetch(path, init); } catch (e) { throw new Error(ERRORS.network); }
    let data = {};
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) {
      let message = ERRORS[data.error] || ERRORS.emulator;
      if (data.error === "emulator" && data.detail) message += ": " + data.detail;
      throw new Error(message);
    }
    return data;
  }

  let toastTimer = null;
  function toast(text, isError) {
    ui.toast.textContent = text;
    ui.toast.classList.toggle("error", !!isError);
    ui.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { ui.toast.hidden = true; }, isError ? 6000 : 4000);
  }

  function dayLabel(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    const weekday = (new Date(y, m - 1, d).getDay() + 6) % 7;
    return `${WEEKDAYS[weekday]}, ${d}/${m}/${y}`;  // as people write it: 1/4/2024
  }

  function initials(name) {
    const words = (name || "?").trim().split(/\s+/);
    const first = words[0] ? words[0][0] : "?";
    const last = words.length > 1 ? words[words.length - 1][0] : "";
    return (first + last).toUpperCase();
  }

  function avatar(person) {
    const node = el("span", `avatar c${Math.abs(person.user_id) % 7}`, initials(person.name));
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function sizeLabel(bytes) {
    if (!bytes && bytes !== 0) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(".", ",")} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} MB`;
  }

  function fileIcon(name, mime) {
    const n = (name || "").toLowerCase();
    if (n.endsWith(".xlsx") || n.endsWith(".xls") || n.endsWith(".csv")) return "📊";
    if (n.endsWith(".docx") || n.endsWith(".doc")) return "📝";
    if (n.endsWith(".pdf")) return "📕";
    if ((mime || "").startsWith("image/")) return "🖼";
    return "📄";
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url, location.href);
      return ["http:", "https:", "tg:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
    } catch (e) { return null; }
  }

  // ---------------------------------------------------------------- text with entities

  function entityNode(entity, text) {
    switch (entity.type) {
      case "bold": return el("b");
      case "italic": return el("i");
      case "underline": return el("u");
      case "strikethrough": return el("s");
      case "spoiler": return el("span", "spoiler");
      case "code": return el("code");
      case "pre": return el("pre");
      case "blockquote": case "expandable_blockquote": return el("blockquote");
      case "bot_command": {
        const node = el("a", "command");
        node.href = "#";
        node.addEventListener("click", (event) => { event.preventDefault(); sendText(text); });
        return node;
      }
      case "text_link": case "url": {
        const href = safeUrl(entity.type === "url" ? text : entity.url);
        if (!href) return el("span");
        const node = el("a");
        node.href = href;
        node.target = "_blank";
        node.rel = "noopener noreferrer";
        return node;
      }
      case "mention": case "hashtag": case "cashtag": case "email": case "phone_number":
        return el("span", "command");
      default: return el("span");
    }
  }

  function buildText(text, entities, start, end, parent) {
    let pos = start;
    let i = 0;
    while (i < entities.length) {
      const entity = entities[i];
      const stop = Math.min(entity.offset + entity.length, end);
      if (entity.offset > pos) parent.append(text.slice(pos, entity.offset));
      const inner = [];
      let j = i + 1;
      while (j < entities.length && entities[j].offset < stop) { inner.push(entities[j]); j++; }
      const node = entityNode(entity, text.slice(entity.offset, stop));
      buildText(text, inner, Math.max(entity.offset, pos), stop, node);
      parent.append(node);
      pos = Math.max(pos, stop);
      i = j;
    }
    if (pos < end) parent.append(text.slice(pos, end));
  }

  function renderText(text, entities) {
    const node = el("div", "text");
    const sorted = (entities || [])
      .filter((e) => e.length > 0 && e.offset >= 0 && e.offset < text.length)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    buildText(text, sorted, 0, text.length, node);
    return node;
  }

  // ---------------------------------------------------------------- the people list

  function personById(uid) {
    return state.personas.find((p) => p.user_id === uid)
      || localNewcomers.find((p) => p.user_id === uid) || null;
  }

  function allPeople() {
    const known = new Set(state.personas.map((p) => p.user_id));
    const extra = localNewcomers
      .filter((p) => !known.has(p.user_id))
      .map((p) => ({ ...p, role: null, role_label: "", unit_name: "", bot_messages: 0, last: "" }));
    return state.personas.concat(extra);
  }

  function renderPeople() {
    const people = allPeople();
    ui.people.replaceChildren();
    for (const group of GROUPS) {
      const members = people.filter((p) => group.roles.includes(p.role));
      if (!members.length) continue;
      ui.people.append(el("div", "group-title", group.title));
      for (const person of members) ui.people.append(personRow(person));
    }
  }

  function personRow(person) {
    const row = el("button", "person");
    row.type = "button";
    row.dataset.userId = String(person.user_id);
    row.dataset.role = person.role || "new";
    if (person.user_id === current) row.classList.add("active");
    row.append(avatar(person));
    const text = el("span", "person-text");
    const top = el("span", "person-top");
    top.append(el("span", "person-name", person.name));
    if (person.last_time) top.append(el("span", "person-time", person.last_time));
    text.append(top);
    const bottom = el("span", "person-bottom");
    const role = person.role
      ? `${person.role_label} · ${person.unit_name}`
      : "Chưa đăng ký: cần mã mời";
    bottom.append(el("span", "person-sub", role));
    const unread = Math.max(0, (person.bot_messages || 0) - (seen[person.user_id] || 0));
    if (unread && person.user_id !== current) bottom.append(el("span", "badge", String(unread)));
    text.append(bottom);
    if (person.last) text.append(el("span", "person-sub", person.last));
    row.append(text);
    row.addEventListener("click", () => select(person.user_id));
    return row;
  }

  // ---------------------------------------------------------------- state and clock

  async function refreshState() {
    try {
      const data = await api("GET", "/api/state");
      state = data;
      for (const p of state.personas) {
        if ((seen[p.user_id] || 0) > p.bot_messages) seen[p.user_id] = p.bot_messages;
      }
      if (state.bot && state.bot.name) ui.botName.textContent = state.bot.name;
      renderClock(state.now, state.busy);
      renderPeople();
      renderHeader();
      renderInvites();
    } catch (e) {
      renderClock(null, false);
    }
  }

  function scheduleState(delay) {
    clearTimeout(stateTimer);
    stateTimer = setTimeout(refreshState, delay === undefined ? 250 : delay);
  }

  function renderClock(now, isBusy) {
    if (now) {
      ui.clockNow.textContent = `${WEEKDAYS[now.weekday]}, ${now.day} · ${now.time}`;
      ui.clockNow.dataset.date = now.date;
      const next = new Date(now.date + "T00:00:00");
      next.setDate(next.getDate() + 1);
      const min = [next.getFullYear(), String(next.getMonth() + 1).padStart(2, "0"),
        String(next.getDate()).padStart(2, "0")].join("-");
      ui.clockDate.min = min;
      if (!ui.clockDate.value || ui.clockDate.value < min) ui.clockDate.value = min;
    } else {
      ui.clockNow.textContent = "mất kết nối";
    }
    setBusy(busy || !!isBusy);
  }

  function setBusy(value) {
    ui.clock.classList.toggle("busy", value);
    for (const b of ui.clock.querySelectorAll("button")) b.disabled = value;
    ui.reset.disabled = value;
  }

  async function moveClock(body) {
    if (busy) return;
    busy = true;
    setBusy(true);
    ui.clockNow.textContent = "Đang tua lịch…";
    try {
      const data = await api("POST", "/api/clock", body);
      const when = `${WEEKDAYS[data.now.weekday]}, ${data.now.day} · ${data.now.time}`;
      toast(data.queued
        ? `Đã tua lịch đến ${when}. Bot đã gửi ${data.queued} tin nhắc việc, báo cáo.`
        : `Đã tua lịch đến ${when}. Không có tin nhắc nào đến hạn trong những ngày này.`);
    } catch (e) {
      toast(e.message, true);
    } finally {
      busy = false;
      await refreshState();
    }
  }

  async function reset() {
    if (busy) return;
    const ok = window.confirm(
      "Làm lại từ đầu? Mọi tin nhắn, báo cáo, người mới đăng ký sẽ bị xóa; dữ liệu mẫu và lịch thử "
      + "trở về như lúc đầu.");
    if (!ok) return;
    busy = true;
    setBusy(true);
    try {
      await api("POST", "/api/reset");
      seen = {};
      saveSeen();
      pressed = new Map();
      localNewcomers = [];
      toast("Đã làm lại từ đầu: dữ liệu mẫu mới, lịch thử về ngày bắt đầu.");
    } catch (e) {
      toast(e.message, true);
    } finally {
      busy = false;
      await refreshState();
      if (current !== null && !personById(current)) select(null);
      else if (current !== null) select(current);
    }
  }

  // ---------------------------------------------------------------- one chat

  function renderHeader() {
    if (current === null) {
      ui.chatSub.textContent = "bot · chọn một người bên trái để bắt đầu";
      return;
    }
    const person = personById(current);
    if (!person) return;
    const who = person.role ? `${person.name} (${person.role_label}, ${person.unit_name})` : `${person.name} (chưa đăng ký)`;
    ui.chatSub.textContent = `bot · bạn là ${who}`;
  }

  function renderInvites() {
    const person = current === null ? null : personById(current);
    const show = !!person && !person.role;
    ui.invites.hidden = !show;
    if (!show) return;
    ui.invitesList.replaceChildren();
    if (!state.invites.length) {
      ui.invitesList.append(el("span", "invites-title", "Hết mã mời: bấm “Làm lại từ đầu” để có mã mới."));
      return;
    }
    for (const invite of state.invites) {
      const b = el("button", "invite");
      b.type = "button";
      b.dataset.code = invite.code;
      b.append(`${invite.role_label} · ${invite.unit_name}`);
      b.append(el("code", "", `/start ${invite.code}`));
      b.addEventListener("click", () => {
        ui.input.value = `/start ${invite.code}`;
        autosize();
        ui.input.focus();
      });
      ui.invitesList.append(b);
    }
  }

  function select(uid) {
    current = uid;
    pressed = new Map();
    chat = { messages: [], menu: [], key: "" };
    ui.menuPop.hidden = true;
    history.replaceState(null, "", uid === null ? location.pathname : `#u${uid}`);
    ui.app.dataset.view = uid === null ? "list" : "chat";
    ui.composer.classList.toggle("off", uid === null);
    renderPeople();
    renderHeader();
    renderInvites();
    ui.messages.replaceChildren(ui.placeholder);
    ui.placeholder.hidden = uid !== null;
    startPolling();
    if (uid !== null && window.matchMedia("(min-width: 761px)").matches) ui.input.focus();
  }

  function startPolling() {
    pollToken += 1;
    if (pollAbort) pollAbort.abort();
    if (current === null) return;
    poll(current, pollToken);
  }

  async function poll(uid, token) {
    let revision = -1;
    let failures = 0;
    while (token === pollToken) {
      pollAbort = new AbortController();
      try {
        const wait = revision < 0 ? 0 : 25;
        const res = await fetch(`/api/chats/${uid}?after_revision=${revision}&timeout=${wait}`,
          { signal: pollAbort.signal });
        const data = await res.json();
        if (token !== pollToken) return;
        if (!res.ok) throw new Error(data.error || "poll");
        failures = 0;
        const changed = revision >= 0 && data.revision !== revision;
        revision = data.revision;
        renderChat(data);
        if (changed || state.revision !== data.revision) scheduleState();
      } catch (e) {
        if (token !== pollToken) return;
        failures += 1;
        await new Promise((r) => setTimeout(r, Math.min(5000, 500 * failures)));
      }
    }
  }

  function renderChat(data) {
    const key = JSON.stringify(data.messages);
    chat.menu = data.menu || [];
    if (key === chat.key) return;
    chat.key = key;
    const stick = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 80
      || data.messages.length > chat.messages.length;
    chat.messages = data.messages;
    // a pressed keyboard that the bot has answered (taken off or changed) is no longer pending
    for (const [id, label] of pressed) {
      const message = data.messages.find((m) => m.id === id);
      const still = message && message.buttons.some((row) => row.some((b) => b.text === label));
      if (!still) pressed.delete(id);
    }
    const nodes = [];
    let day = null;
    data.messages.forEach((message, index) => {
      if (message.day !== day) {
        day = message.day;
        nodes.push(el("div", "day-pill", dayLabel(day)));
      }
      const next = data.messages[index + 1];
      const tail = !next || next.from !== message.from || next.day !== message.day;
      nodes.push(renderMessage(message, tail));
    });
    if (!data.messages.length) {
      const person = personById(current);
      nodes.push(el("div", "empty-note", person && person.role
        ? "Chưa có tin nhắn trong phiên này. Bấm Menu để xem các lệnh, hoặc gõ /help."
        : "Bạn chưa đăng ký. Chọn mã mời bên dưới (hoặc gõ /start và mã) rồi bấm Gửi."));
    }
    ui.messages.replaceChildren(...nodes);
    if (current !== null) {
      const person = personById(current);
      if (person) {
        seen[current] = data.messages.filter((m) => m.from === "bot").length;
        saveSeen();
      }
    }
    if (stick) ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function renderMessage(message, tail) {
    const wrap = el("div", `msg ${message.from === "bot" ? "bot" : "user"}${tail ? " tail" : ""}`);
    wrap.dataset.messageId = String(message.id);
    const bubble = el("div", "bubble");
    const file = message.file;
    if (file && file.kind === "photo") {
      const link = el("a");
      link.href = file.url;
      link.target = "_blank";
      const img = el("img", "photo");
      img.src = file.url;
      img.alt = "Ảnh";
      img.loading = "lazy";
      link.append(img);
      bubble.append(link);
    } else if (file) {
      const link = el("a", "file");
      link.href = file.download;
      link.setAttribute("download", file.name || "");
      link.title = "Tải về";
      link.append(el("span", "file-icon", fileIcon(file.name, file.mime)));
      const info = el("span", "file-info");
      info.append(el("span", "file-name", file.name || "Tệp đính kèm"));
      info.append(el("span", "file-size", `${sizeLabel(file.size)} · Tải về`));
      link.append(info);
      bubble.append(link);
    } else if (message.kind === "sticker") {
      bubble.append(el("div", "text", "🙂"));
    }
    const meta = el("span", "meta", message.time);
    if (message.edited) meta.prepend("đã sửa ");
    if (message.from !== "bot") meta.append(el("span", "ticks", "✓✓"));
    if (message.text) {
      const text = renderText(message.text, message.entities);
      text.append(meta);
      bubble.append(text);
    } else {
      bubble.append(meta);
    }
    wrap.append(bubble);
    if (message.buttons && message.buttons.length) wrap.append(keyboard(message));
    return wrap;
  }

  function keyboard(message) {
    const kb = el("div", "kb");
    const pending = pressed.get(message.id);
    for (const row of message.buttons) {
      const line = el("div", "kb-row");
      for (const button of row) {
        if (button.url) {
          const href = safeUrl(button.url);
          const a = el("a", "", button.text);
          if (href) { a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer"; }
          line.append(a);
          continue;
        }
        const b = el("button", "", button.text);
        b.type = "button";
        b.title = button.text;
        if (pending !== undefined) {
          b.disabled = true;
          if (pending === button.text) b.classList.add("pressed");
        }
        b.addEventListener("click", () => press(message.id, button.text));
        line.append(b);
      }
      kb.append(line);
    }
    return kb;
  }

  async function press(messageId, label) {
    if (current === null || pressed.has(messageId)) return;
    pressed.set(messageId, label);
    chat.key = "";
    renderChat({ messages: chat.messages, menu: chat.menu });
    try {
      await api("POST", `/api/chats/${current}/press`, { message_id: messageId, label });
    } catch (e) {
      pressed.delete(messageId);
      chat.key = "";
      renderChat({ messages: chat.messages, menu: chat.menu });
      toast(e.message, true);
    }
  }

  async function sendText(text) {
    const value = (text || "").trim();
    if (current === null || !value) return;
    try {
      await api("POST", `/api/chats/${current}/text`, { text: value });
    } catch (e) {
      toast(e.message, true);
    }
  }

  async function sendFile(file) {
    if (current === null || !file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    const isImage = ["image/jpeg", "image/png", "image/webp"].includes(file.type);
    form.append("as", isImage ? "photo" : "document");
    const caption = ui.input.value.trim();
    if (caption) form.append("caption", caption);
    toast(isImage ? "Đang gửi ảnh…" : `Đang gửi tệp ${file.name}…`);
    try {
      await api("POST", `/api/chats/${current}/upload`, form);
      ui.input.value = "";
      autosize();
      ui.toast.hidden = true;
    } catch (e) {
      toast(e.message, true);
    }
  }

  function renderMenu() {
    ui.menuPop.replaceChildren();
    const commands = chat.menu.length ? chat.menu : [{ command: "start", description: "" }, { command: "help", description: "" }];
    for (const item of commands) {
      const b = el("button", "menu-item");
      b.type = "button";
      b.dataset.command = item.command;
      b.append(el("span", "cmd", `/${item.command}`), el("span", "desc", item.description));
      b.addEventListener("click", () => {
        ui.menuPop.hidden = true;
        sendText(`/${item.command}`);
      });
      ui.menuPop.append(b);
    }
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight + 2, 140)}px`;
  }

  // ---------------------------------------------------------------- wiring

  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = "";
    autosize();
    sendText(text);
  });
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.input.addEventListener("input", autosize);
  ui.attach.addEventListener("click", () => { if (current !== null) ui.file.click(); });
  ui.file.addEventListener("change", () => {
    const file = ui.file.files && ui.file.files[0];
    ui.file.value = "";
    sendFile(file);
  });
  ui.menuBtn.addEventListener("click", (event) => {
    event.stopPropagation();
    if (current === null) return;
    if (ui.menuPop.hidden) renderMenu();
    ui.menuPop.hidden = !ui.menuPop.hidden;
  });
  document.addEventListener("click", (event) => {
    if (!ui.menuPop.hidden && !ui.menuPop.contains(event.target)) ui.menuPop.hidden = true;
  });
  for (const b of ui.clock.querySelectorAll("[data-days]")) {
    b.addEventListener("click", () => moveClock({ days: Number(b.dataset.days) }));
  }
  ui.clockTo.addEventListener("submit", (event) => {
    event.preventDefault();
    if (ui.clockDate.value) moveClock({ date: ui.clockDate.value });
  });
  ui.reset.addEventListener("click", reset);
  ui.back.addEventListener("click", () => select(null));
  ui.newcomer.addEventListener("click", async () => {
    try {
      const person = await api("POST", "/api/newcomer");
      localNewcomers.push(person);
      select(person.user_id);
    } catch (e) {
      toast(e.message, true);
    }
  });
  window.addEventListener("hashchange", () => {
    const match = /^#u(\d+)$/.exec(location.hash);
    const uid = match ? Number(match[1]) : null;
    if (uid !== current) select(uid);
  });

  (async function start() {
    await refreshState();
    setInterval(() => { if (!busy) refreshState(); }, 5000); // other people's chats, the clock
    const match = /^#u(\d+)$/.exec(location.hash);
    if (match) {
      const uid = Number(match[1]);
      if (!personById(uid)) localNewcomers.push({ user_id: uid, name: `Người dùng ${uid}` });
      select(uid);
    } else {
      select(null);
    }
  })();
})();
