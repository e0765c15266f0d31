// The search feature's public surface: the search box in the top bar.

export { mountSearch } from "./ui.js";
