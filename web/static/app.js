// kitchen-web's dashboard. Every text that comes from kitchend is put in the
// page with textContent (never as markup), so a dish called "<img ...>" is
// shown as those characters.
"use strict";

const HISTORY = 300;          // seconds kept for the graphs
const queueHist = [];         // [t, queued]
const servedHist = [];        // [t, served so far]
const cooking = new Map();    // "chef" -> Map(key -> {order, index, dish, text})
const stages = new Map();     // order id -> [{t, index, dish, chef, kind, text}]
let chefs = [];

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = String(text);
	return e;
}

async function getJSON(path) {
	const r = await fetch(path, { headers: { "Accept": "application/json" } });
	const body = await r.json();
	if (!r.ok) throw new Error(body.message || r.statusText);
	return body;
}

function setConn(ok, text) {
	const c = document.getElementById("conn");
	c.textContent = text;
	c.classList.toggle("down", !ok);
}

function drawLanes() {
	const lanes = document.getElementById("lanes");
	lanes.replaceChildren();
	if (!chefs.length) lanes.append(el("p", "", "no chefs"));
	for (const c of chefs) {
		const lane = el("div", "lane");
		lane.dataset.chef = c.name;
		const who = el("div", "who", c.name);
		who.append(el("small", "", `${c.state} · ${c.served} served`));
		lane.append(who);
		const now = [...(cooking.get(c.name) || new Map()).values()];
		for (let i = 0; i < Math.max(1, c.stations); i++) {
			const d = now[i];
			const st = el("div", d ? "station busy" : "station");
			if (d) {
				st.append(el("div", "dish", d.dish));
				st.append(el("div", "stage", `order ${d.order} · ${d.text || ""}`));
			} else
				st.append(el("div", "stage", "idle"));
			lane.append(st);
		}
		lanes.append(lane);
	}
}

function drawGraph(id, points, label) {
	const cv = document.getElementById(id);
	const g = cv.getContext("2d");
	g.clearRect(0, 0, cv.width, cv.height);
	if (points.length < 2) return;
	const t1 = points[points.length - 1][0], t0 = t1 - HISTORY;
	const max = Math.max(1, ...points.map(p => p[1]));
	g.strokeStyle = "#a60";
	g.lineWidth = 2;
	g.beginPath();
	points.forEach((p, i) => {
		const x = (p[0] - t0) / HISTORY * cv.width;
		const y = cv.height - 4 - p[1] / max * (cv.height - 20);
		if (i) g.lineTo(x, y); else g.moveTo(x, y);
	});
	g.stroke();
	g.fillStyle = "#555";
	g.font = "11px sans-serif";
	g.fillText(`${label}: ${points[points.length - 1][1].toFixed(label === "now" ? 0 : 1)} (max ${max.toFixed(1)})`, 4, 12);
}

function rates() {
	const out = [];
	for (let i = 1; i < servedHist.length; i++) {
		const [ta, a] = servedHist[i - 1], [tb, b] = servedHist[i];
		if (tb > ta) out.push([tb, Math.max(0, (b - a) / (tb - ta))]);
	}
	return out;
}

async function refreshStatus() {
	try {
		const st = await getJSON("/api/status");
		const t = Date.now() / 1000;
		chefs = st.chefs;
		queueHist.push([t, st.dishes.queued]);
		servedHist.push([t, st.dishes.served]);
		while (queueHist.length && queueHist[0][0] < t - HISTORY) queueHist.shift();
		while (servedHist.length && servedHist[0][0] < t - HISTORY) servedHist.shift();
		document.getElementById("counts").textContent =
			`kitchend ${st.version} · ${st.dishes.queued} queued · ${st.dishes.cooking} cooking · ` +
			`${st.dishes.served} served · ${st.dishes.failed} failed`;
		for (const name of cooking.keys())
			if (!chefs.some(c => c.name === name && c.busy > 0)) cooking.delete(name);
		setConn(true, "connected");
		drawLanes();
		drawGraph("g-queue", queueHist, "now");
		drawGraph("g-rate", rates(), "per s");
	} catch (e) {
		setConn(false, `kitchend unavailable: ${e.message}`);
	}
}

function fmtTime(ms) {
	return new Date(ms).toLocaleTimeString();
}

async function refreshOrders() {
	try {
		const page = await getJSON("/api/orders?limit=15");
		const body = document.querySelector("#orders tbody");
		body.replaceChildren();
		for (const o of page.orders) {
			const tr = el("tr");
			const a = el("a", "", o.order);
			a.href = `#order/${o.order}`;
			const td = el("td");
			td.append(a);
			tr.append(td, el("td", `state-${o.state}`, o.state), el("td", "", fmtTime(o.created_ms)),
				  el("td", "", o.dishes.join(", ")));
			body.append(tr);
		}
		const failed = document.getElementById("failed");
		const list = await getJSON("/api/orders?state=failed&limit=5");
		failed.replaceChildren();
		for (const o of list.orders) {
			const rep = await getJSON(`/api/orders/${o.order}`);
			for (const d of rep.dishes.filter(d => d.state === "failed")) {
				const li = el("li");
				const a = el("a", "", `order ${o.order}`);
				a.href = `#order/${o.order}`;
				li.append(a, document.createTextNode(" · "), el("b", "", d.name),
					  document.createTextNode(": "), el("span", "", d.reason));
				failed.append(li);
			}
		}
		if (!failed.children.length) failed.append(el("li", "", "none"));
	} catch (e) {
		setConn(false, `kitchend unavailable: ${e.message}`);
	}
}

function onEvent(ev) {
	const t = Date.now();
	if (ev.order !== undefined) {
		const list = stages.get(ev.order) || [];
		list.push({ t, index: ev.index, dish: ev.dish, chef: ev.chef, kind: ev.event,
			    text: ev.text || ev.result || ev.reason || ev.state || "" });
		if (list.length > 200) list.shift();
		stages.set(ev.order, list);
		if (stages.size > 500) stages.delete(stages.keys().next().value);
	}
	if (ev.event === "stage" && ev.chef) {
		const m = cooking.get(ev.chef) || new Map();
		m.set(`${ev.order}.${ev.index}`, { order: ev.order, index: ev.index, dish: ev.dish, text: ev.text });
		cooking.set(ev.chef, m);
		drawLanes();
	} else if (["served", "failed", "cancelled"].includes(ev.event) && ev.chef) {
		const m = cooking.get(ev.chef);
		if (m) m.delete(`${ev.order}.${ev.index}`);
		drawLanes();
	}
	if (ev.event === "chef") refreshStatus();
	if (location.hash === `#order/${ev.order}`) showOrder(ev.order);
}

function listen() {
	const es = new EventSource("/api/events");
	es.onmessage = m => {
		try { onEvent(JSON.parse(m.data)); } catch (e) { /* a line that is not JSON: skip it */ }
	};
	es.onerror = () => setConn(false, "events: reconnecting…");
	es.onopen = () => setConn(true, "connected");
}

async function showOrder(id) {
	try {
		const o = await getJSON(`/api/orders/${id}`);
		document.getElementById("order-title").textContent = `Order ${o.order}`;
		document.getElementById("order-summary").textContent =
			`${o.state} · created ${fmtTime(o.created_ms)} · ${o.dishes.length} dishes · ` +
			`${o.served} served, ${o.failed} failed, ${o.cancelled} cancelled · priority ${o.priority}`;
		const tl = document.getElementById("timeline");
		tl.replaceChildren();
		const seen = stages.get(o.order) || [];
		const t0 = seen.length ? seen[0].t : o.created_ms;
		const t1 = Math.max(Date.now(), t0 + 1);
		for (const d of o.dishes) {
			const row = el("div", "tl-row");
			row.append(el("span", "name", `${d.index}. ${d.name}`), el("span", `state-${d.state}`, d.state));
			const bar = el("div", "tl-bar");
			const mine = seen.filter(s => s.index === d.index);
			for (const s of mine) {
				const m = el("div", "tl-mark" + (s.kind === "served" ? " end" : ["failed", "cancelled"].includes(s.kind) ? " bad" : ""));
				m.style.left = `${(s.t - t0) / (t1 - t0) * 100}%`;
				m.title = `${s.kind}: ${s.text}`;
				bar.append(m);
			}
			row.append(bar);
			tl.append(row);
			const info = el("div", "tl-stages");
			const lines = mine.length ? mine.map(s => `${fmtTime(s.t)} ${s.kind}: ${s.text}`) :
				[d.state === "served" ? d.result : d.reason || d.result || ""];
			for (const l of lines) if (l) info.append(el("div", "", l));
			// Its last attempt: handed to its chef, and served, failed or cancelled (null: not yet).
			const times = [d.started_ms && `started ${fmtTime(d.started_ms)}`,
				d.finished_ms && `finished ${fmtTime(d.finished_ms)}`].filter(Boolean);
			if (d.started_ms && d.finished_ms)
				times.push(`took ${((d.finished_ms - d.started_ms) / 1000).toFixed(1)} s`);
			if (times.length)
				info.append(el("div", "", times.join(", ")));
			if (d.state === "failed" && d.reasons)
				for (const r of d.reasons) info.append(el("div", "state-failed", r));
			tl.append(info);
		}
	} catch (e) {
		document.getElementById("order-title").textContent = `Order ${id}: ${e.message}`;
	}
}

// Writes carry the token the user typed, in the Authorization header; it is
// kept in this page only (nothing is stored), so another site cannot use it.
async function write(path, body, out) {
	const token = document.getElementById("token").value;
	out.classList.remove("bad");
	try {
		const r = await fetch(path, {
			method: "POST",
			headers: { "Content-Type": "application/json", "Authorization": `Bearer ${token}` },
			body: JSON.stringify(body),
		});
		const res = await r.json();
		if (!r.ok) throw new Error(`${r.status}: ${res.message}`);
		return res;
	} catch (e) {
		out.textContent = e.message;
		out.classList.add("bad");
		return null;
	}
}

async function fillMenu() {
	try {
		const m = await getJSON("/api/menu");
		const sel = document.getElementById("order-dish");
		sel.replaceChildren(...m.map(d => {
			const o = el("option", "", d.name);
			o.value = d.name;
			return o;
		}));
	} catch (e) {
		setTimeout(fillMenu, 2000);
	}
}

document.getElementById("order-form").addEventListener("submit", async ev => {
	ev.preventDefault();
	const out = document.getElementById("order-result");
	const n = Math.max(1, Math.min(150, Number(document.getElementById("order-count").value) || 1));
	const dish = document.getElementById("order-dish").value;
	const res = await write("/api/orders", { dishes: Array(n).fill(dish) }, out);
	if (res) {
		out.textContent = `order ${res.order} accepted (${res.dishes} dishes)`;
		refreshOrders();
	}
});

for (const [id, what] of [["cancel", "cancel"], ["retry", "retry"]])
	document.getElementById(id).addEventListener("click", async () => {
		const m = location.hash.match(/^#order\/(\d+)$/);
		if (!m) return;
		const out = document.getElementById("book-result");
		const res = await write(`/api/orders/${m[1]}/${what}`, {}, out);
		if (res) {
			out.textContent = what === "cancel" ?
				`${res.cancelled} cancelled, ${res.cancelling} being cancelled, ${res.finished} done before` :
				`${res.retried} retried`;
			showOrder(Number(m[1]));
		}
	});

function route() {
	const m = location.hash.match(/^#order\/(\d+)$/);
	document.getElementById("home").hidden = !!m;
	document.getElementById("order").hidden = !m;
	if (m) showOrder(Number(m[1]));
}

window.addEventListener("hashchange", route);
route();
fillMenu();
listen();
refreshStatus();
refreshOrders();
setInterval(refreshStatus, 1000);
setInterval(refreshOrders, 3000);
