const socket = io({ path: "/socket.io" });
socket.on("connect", () => socket.emit("session_request", { session_id: socket.id }));
socket.on("bot_uttered", (message) => {
  const line = document.createElement("p");
  line.textContent = message.text;
  document.getElementById("log").appendChild(line);
});
document.getElementById("message").addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    socket.emit("user_uttered", { message: event.target.value, session_id: socket.id });
    event.target.value = "";
  }
});
