// The wallboard page (/wallboard/{id}#token=…): the token stays in the fragment (never sent
// to a server, not in logs); the widget's extras module draws the board and reads it again.
import init, { mount_wallboard } from "/widget/extras/extras.js";

const root = document.getElementById("wallboard");
const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
init().then(() => mount_wallboard(root, id, token), (e) => {
  root.textContent = "The wallboard could not be loaded. Reload the page to try again.";
  console.error("Switchboard wallboard", e);
});
