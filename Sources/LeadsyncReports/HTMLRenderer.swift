import LeadsyncCore

/// One self-contained HTML page: inline CSS, inline SVG charts and a few lines of inline script to sort
/// tables. Nothing is fetched from anywhere (a Content-Security-Policy says so to the browser), every text
/// from the store is escaped, and it prints cleanly (charts and tables avoid page breaks).
struct HTMLRenderer {
    func render(_ report: Report) -> String {
        var body = ""
        body += "<header><h1>\(e(report.title))</h1><p class=\"scope\">"
        body += report.scope.sorted { $0.key < $1.key }.map { "<span>\(e($0.key)): <b>\(e($0.value))</b></span>" }.joined(separator: " ")
        body += " <span>generated \(e(report.generatedAt))</span></p>"
        body += "<nav>" + report.sections.enumerated().map { "<a href=\"#\(e($1.id))\"\($1.critical ? " class=\"critical\"" : "")>\($0 + 1). \(e($1.title))</a>" }.joined() + "</nav></header>"
        for (number, section) in report.sections.enumerated() {
            body += "<section id=\"\(e(section.id))\"\(section.critical ? " class=\"critical\"" : "")>"
            body += "<h2>\(number + 1). \(e(section.title))\(section.critical ? " <span class=\"badge\">critical</span>" : "")</h2>"
            for note in section.notes { body += "<p class=\"note\">\(e(note))</p>" }
            if !section.figures.isEmpty {
                body += "<div class=\"figures\">" + section.figures.map {
                    "<div class=\"figure\"><div class=\"value\">\(e($0.value.description))</div><div class=\"label\">\(e($0.label))</div></div>"
                }.joined() + "</div>"
            }
            for chart in section.charts { body += "<figure class=\"chart\">\(svg(chart))<figcaption>\(e(chart.title))</figcaption></figure>" }
            for table in section.tables { body += self.table(table) }
            body += "</section>"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(report.title))</title>
        <style>\(Self.css)</style></head>
        <body>\(body)<script>\(Self.script)</script></body></html>

        """
    }

    private func table(_ table: Report.Table) -> String {
        var html = "<h3>\(e(table.title))</h3>"
        guard !table.rows.isEmpty else { return html + "<p class=\"empty\">none</p>" }
        html += "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
        html += table.columns.map { "<th scope=\"col\" title=\"sort\">\(e($0))</th>" }.joined()
        html += "</tr></thead><tbody>"
        for row in table.rows {
            html += "<tr>" + row.map { cell in
                if let number = cell.number { return "<td class=\"num\" data-sort=\"\(number)\">\(e(cell.description))</td>" }
                return "<td>\(e(cell.description))</td>"
            }.joined() + "</tr>"
        }
        return html + "</tbody></table></div>"
    }

    // MARK: charts

    private static let palette = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0ea5e9"]

    private func svg(_ chart: Report.Chart) -> String {
        switch chart.kind {
        case .bars: return bars(chart)
        case .funnel: return funnel(chart)
        case .lines: return lines(chart)
        }
    }

    /// Horizontal bars, one per label, longest first as given.
    private func bars(_ chart: Report.Chart) -> String {
        let values = chart.series.first?.values ?? []
        let top = max(values.max() ?? 1, 1)
        let rowHeight = 26.0, labelWidth = 300.0, width = 760.0
        var svg = "<svg role=\"img\" aria-label=\"\(e(chart.title))\" viewBox=\"0 0 \(Int(width)) \(Int(Double(values.count) * rowHeight + 10))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, value) in values.enumerated() {
            let y = Double(i) * rowHeight + 5
            let length = (width - labelWidth - 70) * value / top
            let label = chart.labels[i].count > 40 ? String(chart.labels[i].prefix(39)) + "…" : chart.labels[i]
            svg += "<text x=\"\(Int(labelWidth - 8))\" y=\"\(y + 16)\" text-anchor=\"end\" class=\"axis\">\(e(label))</text>"
            svg += "<rect x=\"\(Int(labelWidth))\" y=\"\(y + 3)\" width=\"\(max(1, length))\" height=\"\(rowHeight - 8)\" fill=\"\(Self.palette[0])\"><title>\(e(chart.labels[i])): \(Report.Cell.fixed(value, 0))</title></rect>"
            svg += "<text x=\"\(labelWidth + length + 6)\" y=\"\(y + 16)\" class=\"value\">\(Report.Cell.fixed(value, 0))</text>"
        }
        return svg + "</svg>"
    }

    /// Centred bars narrowing stage by stage, each with its count and its share of the first stage.
    private func funnel(_ chart: Report.Chart) -> String {
        let values = chart.series.first?.values ?? []
        let top = max(values.first ?? 1, 1)
        let rowHeight = 38.0, width = 760.0, centre = 430.0, maxWidth = 560.0
        var svg = "<svg role=\"img\" aria-label=\"\(e(chart.title))\" viewBox=\"0 0 \(Int(width)) \(Int(Double(values.count) * rowHeight + 10))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, value) in values.enumerated() {
            let y = Double(i) * rowHeight + 5
            let w = max(2, maxWidth * value / top)
            svg += "<rect x=\"\(centre - w / 2)\" y=\"\(y)\" width=\"\(w)\" height=\"\(rowHeight - 6)\" rx=\"4\" fill=\"\(Self.palette[i % Self.palette.count])\"/>"
            svg += "<text x=\"12\" y=\"\(y + 22)\" class=\"axis\">\(e(chart.labels[i]))</text>"
            svg += "<text x=\"\(centre)\" y=\"\(y + 22)\" text-anchor=\"middle\" class=\"inbar\">\(Report.Cell.fixed(value, 0)) · \(Report.Cell.fixed(100 * value / top, 1))%</text>"
        }
        return svg + "</svg>"
    }

    /// One polyline per series over the labels (weeks), with a legend.
    private func lines(_ chart: Report.Chart) -> String {
        let width = 760.0, height = 240.0, left = 50.0, bottom = 30.0, top = 20.0
        let maxValue = max(chart.series.flatMap(\.values).max() ?? 1, 1)
        let n = max(chart.labels.count, 1)
        func x(_ i: Int) -> Double { n == 1 ? left + (width - left - 20) / 2 : left + (width - left - 20) * Double(i) / Double(n - 1) }
        func y(_ v: Double) -> Double { height - bottom - (height - bottom - top) * v / maxValue }
        var svg = "<svg role=\"img\" aria-label=\"\(e(chart.title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - 10)\" y2=\"\(height - bottom)\" class=\"grid\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 4)\" text-anchor=\"end\" class=\"axis\">\(Report.Cell.fixed(maxValue, 0))</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(height - bottom)\" text-anchor=\"end\" class=\"axis\">0</text>"
        let step = max(1, chart.labels.count / 8)
        for (i, label) in chart.labels.enumerated() where i % step == 0 {
            svg += "<text x=\"\(x(i))\" y=\"\(height - 10)\" text-anchor=\"middle\" class=\"axis\">\(e(label))</text>"
        }
        for (s, series) in chart.series.enumerated() {
            let colour = Self.palette[s % Self.palette.count]
            let points = series.values.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2.5\" points=\"\(points)\"/>"
            for (i, v) in series.values.enumerated() {
                svg += "<circle cx=\"\(x(i))\" cy=\"\(y(v))\" r=\"3\" fill=\"\(colour)\"><title>\(e(series.name)) \(e(chart.labels[i])): \(Report.Cell.fixed(v, 0))</title></circle>"
            }
            svg += "<rect x=\"\(left + 10 + Double(s) * 150)\" y=\"4\" width=\"12\" height=\"12\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(left + 28 + Double(s) * 150)\" y=\"14\" class=\"axis\">\(e(series.name))</text>"
        }
        return svg + "</svg>"
    }

    /// Escapes text for HTML element content and attribute values.
    private func e(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    static let css = """
    :root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--accent:#2563eb;--bad:#b91c1c}
    *{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:1180px;padding:24px}
    h1{margin:0 0 4px;font-size:26px}h2{font-size:20px;border-bottom:2px solid var(--line);padding-bottom:4px;margin-top:36px}h3{font-size:15px;color:var(--muted);margin:18px 0 6px}
    .scope{color:var(--muted);margin:0 0 12px}.scope span{margin-right:14px}nav{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:13px}
    nav a{color:var(--accent);text-decoration:none}nav a.critical,section.critical h2{color:var(--bad)}
    .badge{background:var(--bad);color:#fff;border-radius:4px;font-size:12px;padding:2px 6px;vertical-align:middle}
    .note{margin:6px 0}section.critical .note{font-weight:600;color:var(--bad)}
    .figures{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.figure{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px}
    .figure .value{font-size:22px;font-weight:700}.figure .label{color:var(--muted);font-size:13px}
    .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px;margin-bottom:8px}
    th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums}
    th{background:#f9fafb;cursor:pointer;user-select:none;white-space:nowrap}th.asc::after{content:" ▲"}th.desc::after{content:" ▼"}
    tbody tr:nth-child(even){background:#fcfcfd}.empty{color:var(--muted)}
    figure.chart{margin:12px 0}figure.chart svg{width:100%;max-width:760px;height:auto}figcaption{color:var(--muted);font-size:13px}
    svg .axis{font-size:12px;fill:#374151}svg .value{font-size:12px;fill:#111827}svg .inbar{font-size:13px;fill:#fff;font-weight:600}svg .grid{stroke:#d1d5db}
    @media print{body{max-width:none;padding:0;font-size:12px}nav{display:none}section,figure.chart,table{break-inside:avoid}th{cursor:auto}h2{break-after:avoid}}
    """

    /// Click a column heading to sort by it (numbers by value); no library, nothing fetched.
    static let script = """
    document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){
    var table=th.closest('table'),body=table.tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th),asc=!th.classList.contains('asc');
    th.parentNode.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc')});th.classList.add(asc?'asc':'desc');
    var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i];
    var p=x.dataset.sort!==undefined?parseFloat(x.dataset.sort):null,q=y.dataset.sort!==undefined?parseFloat(y.dataset.sort):null;
    var c=(p!==null&&q!==null)?p-q:x.textContent.localeCompare(y.textContent);return asc?c:-c});
    rows.forEach(function(r){body.appendChild(r)})})});
    """
}
