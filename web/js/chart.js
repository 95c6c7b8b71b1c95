// A small time-series line chart on <canvas>: a fixed window of points, several series sharing one
// y axis that scales to "nice" round steps, light area fills, grid and axis labels, and a hover
// tooltip. It draws from its own bounded point buffer and knows nothing about the API.
(function (global) {
  "use strict";
  const Roost = global.Roost || (global.Roost = {});
  const { h, clock } = Roost.util;

  function niceStep(max, ticks) {
    const raw = max / ticks;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const norm = raw / mag;
    const nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
    return nice * mag;
  }

  function shortNum(v) {
    if (v >= 1e9) return (v / 1e9).toFixed(1).replace(/\.0$/, "") + "G";
    if (v >= 1e6) return (v / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
    if (v >= 1e3) return (v / 1e3).toFixed(1).replace(/\.0$/, "") + "k";
    return String(Math.round(v * 100) / 100);
  }

  class LineChart {
    // series: [{name, color}]; opts: {maxPoints, format(v)}
    constructor(series, opts) {
      this.series = series;
      this.maxPoints = (opts && opts.maxPoints) || 60;
      this.format = (opts && opts.format) || shortNum;
      this.points = []; // [{t: Date, v: [number...]}]
      this.hover = null;
      this.canvas = h("canvas", { role: "img", "aria-label": series.map((s) => s.name).join(", ") + " chart" });
      this.tip = h("div", { class: "chart-tip", hidden: true });
      this.el = h("div", { class: "chart" }, this.canvas, this.tip);
      this.canvas.addEventListener("mousemove", (ev) => this.onMove(ev));
      this.canvas.addEventListener("mouseleave", () => { this.hover = null; this.tip.hidden = true; this.draw(); });
      this.resizeObserver = new ResizeObserver(() => this.draw());
      this.resizeObserver.observe(this.el);
    }

    legend() {
      return h("div", { class: "legend" }, this.series.map((s) => h("span", null, h("i", { style: "background:" + s.color }), s.name)));
    }

    push(t, values) {
      this.points.push({ t, v: values });
      if (this.points.length > this.maxPoints) this.points.splice(0, this.points.length - this.maxPoints);
      this.draw();
    }

    destroy() { this.resizeObserver.disconnect(); }

    // Horizontal slots: the window widens with the data up to maxPoints, so a fresh chart does
    // not squeeze its first samples into the right edge.
    slots() {
      return Math.min(this.maxPoints, Math.max(12, this.points.length));
    }

    layout() {
      const w = this.el.clientWidth;
      const ht = this.el.clientHeight;
      return { w, ht, left: 48, right: 14, top: 12, bottom: 26 };
    }

    draw() {
      const { w, ht, left, right, top, bottom } = this.layout();
      if (w === 0 || ht === 0) return;
      const dpr = window.devicePixelRatio || 1;
      if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(ht * dpr)) {
        this.canvas.width = Math.round(w * dpr);
        this.canvas.height = Math.round(ht * dpr);
      }
      const ctx = this.canvas.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, ht);
      const plotW = w - left - right;
      const plotH = ht - top - bottom;

      let max = 0;
      for (const p of this.points) for (const v of p.v) if (isFinite(v) && v > max) max = v;
      const step = niceStep(max > 0 ? max : 1, 4);
      const yMax = Math.max(step * Math.ceil((max || 1) / step), step);

      ctx.font = "11px -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";
      ctx.fillStyle = "#8a95a5";
      ctx.strokeStyle = "#edf0f4";
      ctx.lineWidth = 1;
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (let y = 0; y <= yMax + step / 2; y += step) {
        const py = Math.round(top + plotH - (y / yMax) * plotH) + 0.5;
        ctx.beginPath();
        ctx.moveTo(left, py);
        ctx.lineTo(left + plotW, py);
        ctx.stroke();
        ctx.fillText(this.format(y), left - 8, py);
      }

      const n = this.slots();
      const xOf = (i) => left + (plotW * (i + (n - this.points.length))) / (n - 1);
      const yOf = (v) => top + plotH - (Math.max(0, v) / yMax) * plotH;

      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      const labelEvery = Math.max(1, Math.ceil(70 / (plotW / (n - 1))));
      this.points.forEach((p, i) => {
        if ((this.points.length - 1 - i) % labelEvery !== 0) return;
        const label = clock(p.t);
        const half = ctx.measureText(label).width / 2;
        const x = Math.min(Math.max(xOf(i), left + half), w - right - half);
        ctx.fillText(label, x, top + plotH + 8);
      });

      if (this.points.length === 0) {
        ctx.textBaseline = "middle";
        ctx.fillText("Waiting for data…", left + plotW / 2, top + plotH / 2);
        return;
      }

      this.series.forEach((s, si) => {
        const pts = this.points.map((p, i) => [xOf(i), yOf(p.v[si] || 0)]);
        ctx.beginPath();
        pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
        ctx.lineTo(pts[pts.length - 1][0], top + plotH);
        ctx.lineTo(pts[0][0], top + plotH);
        ctx.closePath();
        const grad = ctx.createLinearGradient(0, top, 0, top + plotH);
        grad.addColorStop(0, s.color + "33");
        grad.addColorStop(1, s.color + "04");
        ctx.fillStyle = grad;
        ctx.fill();
        ctx.beginPath();
        pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
        ctx.strokeStyle = s.color;
        ctx.lineWidth = 2;
        ctx.lineJoin = "round";
        ctx.stroke();
        if (pts.length === 1) {
          ctx.fillStyle = s.color;
          ctx.beginPath();
          ctx.arc(pts[0][0], pts[0][1], 3, 0, Math.PI * 2);
          ctx.fill();
        }
      });

      if (this.hover !== null && this.points[this.hover]) {
        const x = xOf(this.hover);
        ctx.strokeStyle = "#cfd6e1";
        ctx.beginPath();
        ctx.moveTo(Math.round(x) + 0.5, top);
        ctx.lineTo(Math.round(x) + 0.5, top + plotH);
        ctx.stroke();
        this.series.forEach((s, si) => {
          ctx.fillStyle = "#fff";
          ctx.strokeStyle = s.color;
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.arc(x, yOf(this.points[this.hover].v[si] || 0), 3.5, 0, Math.PI * 2);
          ctx.fill();
          ctx.stroke();
        });
      }
    }

    onMove(ev) {
      if (this.points.length === 0) return;
      const { w, left, right } = this.layout();
      const rect = this.canvas.getBoundingClientRect();
      const plotW = w - left - right;
      const n = this.slots();
      const rel = ((ev.clientX - rect.left - left) / plotW) * (n - 1) - (n - this.points.length);
      const i = Math.min(this.points.length - 1, Math.max(0, Math.round(rel)));
      this.hover = i;
      const p = this.points[i];
      this.tip.replaceChildren(h("div", { style: "opacity:.75" }, clock(p.t)),
        ...this.series.map((s, si) => h("div", null, h("span", { style: `color:${s.color}` }, "● "), `${s.name}: ${this.format(p.v[si] || 0)}`)));
      this.tip.style.left = ev.clientX - rect.left + "px";
      this.tip.style.top = ev.clientY - rect.top + "px";
      this.tip.hidden = false;
      this.draw();
    }
  }

  Roost.LineChart = LineChart;
})(window);
