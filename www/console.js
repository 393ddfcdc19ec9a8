// The merchant console: loads its wasm (www/pkg/console/, built by `cargo xtask build`) and
// mounts it on #console. No inline script, so the page's CSP allows nothing else.
import init, { mount } from "/pkg/console/kasse_console.js";

const root = document.getElementById("console");
init()
  .then(() => {
    root.replaceChildren();
    mount(root);
  })
  .catch((error) => {
    const message = document.createElement("p");
    message.setAttribute("role", "alert");
    message.textContent = "The console could not start: " + error;
    root.replaceChildren(message);
  });
