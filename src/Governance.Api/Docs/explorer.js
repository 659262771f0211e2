// A dependency-free explorer over the OpenAPI document: one form per operation, sent with fetch and the token.
"use strict";
(async () => {
  const main = document.getElementById("operations");
  const tokenInput = document.getElementById("token");
  const filter = document.getElementById("filter");
  tokenInput.value = sessionStorage.getItem("governance.token") || "";
  tokenInput.addEventListener("input", () => sessionStorage.setItem("governance.token", tokenInput.value));

  let spec;
  try {
    spec = await (await fetch(main.dataset.spec)).json();
  } catch (e) {
    main.textContent = "Could not load the OpenAPI document: " + e;
    return;
  }

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) k === "class" ? (node.className = v) : node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  };
  const resolve = s => (s && s.$ref ? resolve(s.$ref.split("/").slice(1).reduce((o, k) => o[k], spec)) : s);
  // A skeleton body from the schema: property names with placeholder values.
  const sample = (schema, depth = 0) => {
    schema = resolve(schema) || {};
    if (depth > 4) return null;
    const type = Array.isArray(schema.type) ? schema.type.find(t => t !== "null") : schema.type;
    if (schema.properties || type === "object") {
      const out = {};
      for (const [k, v] of Object.entries(schema.properties || {})) out[k] = sample(v, depth + 1);
      return out;
    }
    if (type === "array") return [sample(schema.items, depth + 1)].filter(x => x !== null);
    if (type === "integer" || type === "number") return 0;
    if (type === "boolean") return false;
    if (schema.enum) return schema.enum[0];
    return type === "string" ? "" : null;
  };

  main.textContent = "";
  const paths = Object.entries(spec.paths || {}).sort(([a], [b]) => a.localeCompare(b));
  for (const [path, item] of paths) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const params = [...(item.parameters || []), ...(op.parameters || [])].map(resolve);
      const form = el("form");
      for (const p of params)
        form.append(el("label", {}, `${p.name} (${p.in}${p.required ? ", required" : ""}) `, el("input", { name: p.name, "data-in": p.in })));
      const bodySchema = op.requestBody && resolve(op.requestBody).content?.["application/json"]?.schema;
      let body;
      if (bodySchema) {
        body = el("textarea", { name: "__body" });
        body.value = JSON.stringify(sample(bodySchema), null, 2);
        form.append(el("label", {}, "JSON body", body));
      }
      const output = el("pre");
      form.append(el("button", { type: "submit" }, "Send"), output);
      form.addEventListener("submit", async ev => {
        ev.preventDefault();
        let url = path;
        const query = new URLSearchParams();
        for (const input of form.querySelectorAll("input[data-in]")) {
          if (input.value === "") continue;
          if (input.dataset.in === "path") url = url.replace(`{${input.name}}`, encodeURIComponent(input.value));
          else if (input.dataset.in === "query") query.append(input.name, input.value);
        }
        if ([...query].length) url += "?" + query;
        const headers = { Accept: "application/json" };
        if (tokenInput.value) headers.Authorization = "Bearer " + tokenInput.value;
        if (body) headers["Content-Type"] = "application/json";
        output.textContent = `${method.toUpperCase()} ${url} …`;
        try {
          const response = await fetch(url, { method: method.toUpperCase(), headers, body: body ? body.value : undefined });
          const text = await response.text();
          let shown = text;
          try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
          output.textContent = `${response.status} ${response.statusText}\n\n${shown}`;
        } catch (e) {
          output.textContent = "Request failed: " + e;
        }
      });
      const tags = (op.tags || []).join(", ");
      const details = el("details", { "data-search": `${path} ${tags}`.toLowerCase() },
        el("summary", {}, el("span", { class: "method " + method }, method), path, el("span", { class: "tag" }, op.summary || tags)),
        form);
      main.append(details);
    }
  }
  filter.addEventListener("input", () => {
    const q = filter.value.toLowerCase();
    for (const d of main.querySelectorAll("details")) d.hidden = q !== "" && !d.dataset.search.includes(q);
  });
})();
