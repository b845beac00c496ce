// What the shell (app.js) and the pages share: who is logged in, and the page and its
// parameters in the URL fragment. Its own module so the pages, which the shell loads, need
// nothing from the shell.
const ROLES = ['viewer', 'author', 'admin'];
let session = null;

export const currentSession = () => session;
export const setSession = (value) => {
  session = value;
};
export const allowed = (role) => session && ROLES.indexOf(session.role) >= ROLES.indexOf(role);

/** The page and its parameters from the fragment. */
export function route() {
  const [path, q] = location.hash.replace(/^#\/?/, '').split('?');
  return { page: path || 'catalog', params: new URLSearchParams(q ?? '') };
}

/** Sets the fragment's parameters for the current page without reloading it. */
export function setParams(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  history.replaceState(null, '', `#/${route().page}${s ? `?${s}` : ''}`);
}
