// Loads the chat page's WASM module (wasm-bindgen --target web); its start function runs the page.
import init from "./chat_page.js";
init({ module_or_path: new URL("./chat_page_bg.wasm", import.meta.url) });
