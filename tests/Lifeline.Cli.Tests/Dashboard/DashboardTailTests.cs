using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lifeline.Testing.Tasks;
using Microsoft.Playwright;
using static Lifeline.Cli.Tests.Dashboard.DashboardBrowserTests;

namespace Lifeline.Cli.Tests.Dashboard;

/// <summary>
/// Issue 16: the dashboard as a live tail people would choose, in Debian's chromium against a real hub. Frame times and
/// time to first rows are measured and reported in artifacts/dashboard-figures.txt, never asserted.
/// </summary>
public class DashboardTailTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Following2000PerSecond_ToolbarStays_100kRowsVirtualised_JumpToLatest()
    {
        await using var hub = await ServedHub.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(hub.Url) };
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(hub.Url + "/");
        await page.WaitForSelectorAsync("#status[data-state=live]");

        // 2,000 entries/s for 5 s (a batch of 200 every 100 ms, paced by a timer: load, not synchronisation).
        await StartFrameRecorderAsync(page);
        var next = 1;
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100)))
        {
            for (var batch = 0; batch < 50 && await timer.WaitForNextTickAsync(); batch++)
            {
                await PostAsync(http, next, 200);
                next += 200;
            }
        }

        await page.WaitForFunctionAsync("n => window.lifelineDashboard.entries.length === n", next - 1);
        var following = await StopFrameRecorderAsync(page);
        Browser.Report($"following 2,000 entries/s for 5 s: frame intervals {Describe(following)}; list drawing (script) per frame {Describe(await RenderTimesAsync(page))}");
        await browser.ScreenshotAsync("dashboard-following");

        // The page itself never scrolls: toolbar, filters and charts stay in view; the newest row is in view.
        Assert.Equal(0, await page.EvaluateAsync<int>("() => document.scrollingElement.scrollTop"));
        foreach (var fixedPart in new[] { "#toolbar", "#filters", "#charts" })
        {
            var box = await page.Locator(fixedPart).BoundingBoxAsync();
            Assert.True(box is { Y: >= 0 } && box.Y + box.Height <= 800, fixedPart);
        }

        Assert.True(await page.Locator($"#rows .row[data-id='{next - 1}']").IsVisibleAsync());

        // 100,000 rows in the list: only the rows in view (plus a margin) are in the DOM.
        for (; next <= 100_000; next += 5_000)
        {
            await PostAsync(http, next, 5_000);
        }

        await page.WaitForFunctionAsync("() => window.lifelineDashboard.entries.length === 100000", null, new() { Timeout = 120_000 });
        Assert.InRange(await page.Locator("#rows .row:not([hidden])").CountAsync(), 10, 80);

        // Scrolling up stops following and shows "jump to latest"; the list keeps its place while entries arrive.
        Assert.True(await page.Locator("#jump").IsHiddenAsync());
        await page.Locator("#list").HoverAsync();
        await page.Mouse.WheelAsync(0, -2_000);
        await page.WaitForSelectorAsync("#jump:not([hidden])");
        var top = await page.EvaluateAsync<double>("() => document.getElementById('list').scrollTop");
        await PostAsync(http, 100_001, 100);
        await page.WaitForFunctionAsync("() => window.lifelineDashboard.entries.length === 100100");
        Assert.Equal(top, await page.EvaluateAsync<double>("() => document.getElementById('list').scrollTop"));
        await browser.ScreenshotAsync("dashboard-scrolled-up");

        // Frame times while scrolling the 100,100 rows: wheel-sized steps, then jumps across the whole list.
        var wheel = await ScrollFramesAsync(page, "wheel");
        Browser.Report($"scrolling 100,100 rows, 300 frames of 60 px: frame intervals {Describe(wheel)}; list drawing (script) per frame {Describe(await RenderTimesAsync(page))}");
        var jumps = await ScrollFramesAsync(page, "jump");
        Browser.Report($"scrolling 100,100 rows, 300 frames jumping anywhere in the list: frame intervals {Describe(jumps)}; list drawing (script) per frame {Describe(await RenderTimesAsync(page))}");

        await page.ClickAsync("#jump");
        await page.WaitForSelectorAsync("#jump[hidden]", new() { State = WaitForSelectorState.Attached });
        await page.WaitForSelectorAsync("#rows .row[data-id='100100']");
        Assert.True(await page.Locator("#rows .row[data-id='100100']").IsVisibleAsync());

        // Time to first rows on open, with 100,100 entries in the store (the page loads the last minutes from history).
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => window.lifelineDashboard.firstRowsAt !== null");
        var firstRows = await page.EvaluateAsync<double>("() => window.lifelineDashboard.firstRowsAt");
        var loaded = await page.EvaluateAsync<int>("() => window.lifelineDashboard.entries.length");
        Browser.Report($"time to first rows (navigation start to first rows drawn), 100,100 entries stored: {firstRows:F0} ms ({loaded} rows loaded when read afterwards)");
    }

    [Fact]
    public async Task History_TimeRangeAndId_PagesBackWithTheFilters_ReturnsToLiveWithoutGapOrDuplicate()
    {
        await using var hub = await ServedHub.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(hub.Url) };
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await PostAsync(http, 1, 300, i => start.AddSeconds(i));

        // Every third entry is a warning; ms = 10 × id; the filter keeps warnings with ms > 1000: ids 102, 105, ...
        static IEnumerable<long> Matching(int from, int to) => Enumerable.Range(from, to - from + 1).Where(i => i % 3 == 0 && i * 10 > 1000).Select(i => (long)i);
        const string Filter = "levels=warning&where=ms%20%3E%201000";

        // A time range from the URL (UTC in the URL, shown in the page's zone in the inputs).
        await page.GotoAsync($"{hub.Url}/?{Filter}&from=2026-01-01T00:03:20Z&to=2026-01-01T00:04:30Z");
        await page.WaitForSelectorAsync("#status[data-state=history]");
        await WaitForIdsAsync(page, [.. Matching(200, 270)]);
        Assert.Equal("2026-01-01T05:33:20", await page.InputValueAsync("#from-time")); // Asia/Kolkata is UTC+05:30
        await page.ClickAsync("#older");
        await WaitForIdsAsync(page, [.. Matching(1, 270)]);

        // An id: from 200, the next page holds the rest; "older" pages back with the same filter.
        await page.FillAsync("#from-time", "");
        await page.FillAsync("#to-time", "");
        await page.FillAsync("#from-id", "200");
        await page.ClickAsync("#go");
        await WaitForIdsAsync(page, [.. Matching(200, 300)]);
        Assert.Contains("fromId=200", page.Url, StringComparison.Ordinal);
        await page.ClickAsync("#older");
        await WaitForIdsAsync(page, [.. Matching(1, 300)]);
        await browser.ScreenshotAsync("dashboard-history");

        // Entries stored while the page shows history, then live: the stream resumes right after the history shown.
        await PostAsync(http, 301, 30, i => DateTimeOffset.UtcNow);
        await page.ClickAsync("#live");
        await page.WaitForSelectorAsync("#status[data-state=live]");
        Assert.DoesNotContain("fromId", page.Url, StringComparison.Ordinal);
        await PostAsync(http, 331, 30, i => DateTimeOffset.UtcNow);
        await page.WaitForFunctionAsync("() => window.lifelineDashboard.lastId === 360");
        var ids = await page.EvaluateAsync<long[]>("() => window.lifelineDashboard.entries.map(e => e.id)");
        Assert.Equal(Matching(1, 360), ids); // no gap, no duplicate at either seam
        await browser.ScreenshotAsync("dashboard-history-then-live");
    }

    [Fact]
    public async Task History_NewerPagesForwardToTheEnd_HomeAndEndKeys()
    {
        await using var hub = await ServedHub.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(hub.Url) };
        await PostAsync(http, 1, 1_200);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync($"{hub.Url}/?fromId=1");
        await page.WaitForFunctionAsync("() => window.lifelineDashboard.entries.length === 500"); // a page of history
        Assert.Equal("history", await page.Locator("#status").TextContentAsync());
        await page.ClickAsync("#newer");
        await page.WaitForFunctionAsync("() => window.lifelineDashboard.entries.length === 1000");
        await page.ClickAsync("#newer");
        await page.WaitForFunctionAsync("() => window.lifelineDashboard.entries.length === 1200");
        await page.WaitForSelectorAsync("#newer[hidden]", new() { State = WaitForSelectorState.Attached });
        Assert.Equal("history (end)", await page.Locator("#status").TextContentAsync());
        Assert.Equal(Enumerable.Range(1, 1_200).Select(i => (long)i), await page.EvaluateAsync<long[]>("() => window.lifelineDashboard.entries.map(e => e.id)"));

        await page.Locator("#list").FocusAsync();
        await page.Keyboard.PressAsync("Home");
        await page.WaitForSelectorAsync("#rows .row[data-id='1']");
        Assert.True(await page.Locator("#rows .row[data-id='1']").IsVisibleAsync());
        await page.Keyboard.PressAsync("End");
        await page.WaitForSelectorAsync("#rows .row[data-id='1200']");
        Assert.True(await page.Locator("#rows .row[data-id='1200']").IsVisibleAsync());
    }

    [Fact]
    public async Task View_InTheUrlWithoutTheKey_DetailPanel_Keyboard_TimeZone_SharedUrlOpensTheSameView()
    {
        using var keys = new KeysFile();
        await using var hub = await ServedHub.StartAsync("--keys", keys.Path);
        await hub.SendAsync(ServedHub.Mixed, "--ndjson", "--key", "write-key");
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync($"{hub.Url}/?access_token=read-key");
        await WaitForIdsAsync(page, 1, 2, 3, 4, 5, 6); // the chart and list are filled from history on open
        Assert.Equal(6, await page.EvaluateAsync<int>("() => [...window.lifelineDashboard.volume.values()].flat().reduce((a, b) => a + b, 0)"));
        var firstRows = await page.EvaluateAsync<double>("() => window.lifelineDashboard.firstRowsAt");
        Browser.Report($"time to first rows (navigation start to first rows drawn), 6 entries stored: {firstRows:F0} ms");

        // Keyboard: "/" to the filter box, Escape back to the list, j/k to move, Enter to open, Escape to close.
        await page.Keyboard.PressAsync("/");
        Assert.Equal("contains", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.TypeAsync("slow");
        await page.Keyboard.PressAsync("Enter");
        await WaitForIdsAsync(page, 2, 3, 4, 5);
        await page.Keyboard.PressAsync("Escape");
        Assert.Equal("list", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("k");
        Assert.Equal("true", await page.GetAttributeAsync("#rows .row[data-id='2']", "aria-selected"));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("#detail:not([hidden])");
        Assert.Equal("entry 2", await page.Locator("#detail-title").TextContentAsync());
        Assert.Equal("812", await page.Locator("#detail-props tr:has(th:text-is('props.ms')) td").TextContentAsync());
        Assert.Equal("slow query on orders", await page.Locator("#detail-props tr:has(th:text-is('message')) td").TextContentAsync());

        // Copy as JSON: the entry as the hub sent it.
        await page.ClickAsync("#copy");
        await page.WaitForSelectorAsync("#copy:text('copied')");
        using (var copied = JsonDocument.Parse(await page.EvaluateAsync<string>("() => navigator.clipboard.readText()")))
        {
            Assert.Equal(2, copied.RootElement.GetProperty("id").GetInt64());
            Assert.Equal(812, copied.RootElement.GetProperty("props").GetProperty("ms").GetInt32());
        }

        // Time zone: shown, and switchable; the view (with the zone) is in the URL, the key is not.
        var ts = DateTimeOffset.Parse(await page.EvaluateAsync<string>("() => window.lifelineDashboard.entries[0].ts"), CultureInfo.InvariantCulture);
        Assert.Equal(ts.ToOffset(TimeSpan.FromMinutes(330)).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), await page.Locator("#rows .row[data-id='2'] .time").TextContentAsync());
        Assert.Equal("Asia/Calcutta (UTC+05:30)", (await page.Locator("#tz-label").TextContentAsync())!.Replace("Kolkata", "Calcutta", StringComparison.Ordinal));
        await page.ClickAsync("#tz");
        Assert.Equal(ts.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), await page.Locator("#rows .row[data-id='2'] .time").TextContentAsync());
        Assert.Equal("UTC", await page.Locator("#tz-label").TextContentAsync());
        Assert.Contains("tz=utc", page.Url, StringComparison.Ordinal);
        Assert.Contains("contains=slow", page.Url, StringComparison.Ordinal);
        Assert.Contains("entry=2", page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("read-key", page.Url, StringComparison.Ordinal);
        await browser.ScreenshotAsync("dashboard-detail");

        var permalink = await page.EvaluateAsync<string>("() => document.getElementById('permalink').href");
        Assert.Contains("fromId=2", permalink, StringComparison.Ordinal);
        Assert.Contains("entry=2", permalink, StringComparison.Ordinal);
        Assert.DoesNotContain("read-key", permalink, StringComparison.Ordinal);
        await page.Keyboard.PressAsync("Escape");
        await page.WaitForSelectorAsync("#detail[hidden]", new() { State = WaitForSelectorState.Attached });
        Assert.Equal("list", await page.EvaluateAsync<string>("() => document.activeElement.id"));

        // Someone else opens the link with their own key (a new browser context: no session storage): the same view.
        var other = await browser.NewPageAsync();
        await other.GotoAsync(permalink + "&access_token=read-key");
        await other.WaitForSelectorAsync("#detail:not([hidden])");
        Assert.Equal("entry 2", await other.Locator("#detail-title").TextContentAsync());
        Assert.Equal("slow", await other.InputValueAsync("#contains"));
        Assert.Equal("UTC", await other.Locator("#tz-label").TextContentAsync());
        await WaitForIdsAsync(other, 2, 3, 4, 5);
        Assert.Equal("true", await other.GetAttributeAsync("#rows .row[data-id='2']", "aria-selected"));
        Assert.DoesNotContain("read-key", other.Url, StringComparison.Ordinal);
        await other.CloseAsync();

        var origin = new Uri(hub.Url).Authority;
        Assert.All(browser.Requests, url => Assert.Equal(origin, new Uri(url).Authority));
    }

    [Fact]
    public async Task Accessibility_AxeCore_NoSeriousOrCriticalViolations()
    {
        var axe = Path.Combine(Lifeline.Tests.Shared.Repository.Root, "tests", "node", "node_modules", "axe-core", "axe.min.js");
        Lifeline.Tests.Shared.RequiredTool.RequireDirectory(Path.GetDirectoryName(axe)!, "it runs npm ci --prefix tests/node");
        await using var hub = await ServedHub.StartAsync();
        await hub.SendAsync(ServedHub.Mixed, "--ndjson");
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        // axe-core from npm, served to the page by the test at the page's own origin (the page's CSP allows only 'self').
        await page.RouteAsync("**/dashboard/axe.min.js", route => route.FulfillAsync(new() { Path = axe, ContentType = "text/javascript" }));
        await page.GotoAsync(hub.Url + "/");
        await WaitForIdsAsync(page, 1, 2, 3, 4, 5, 6);
        await page.AddScriptTagAsync(new() { Url = "dashboard/axe.min.js" });

        var listView = await AxeAsync(page);
        await page.ClickAsync("#rows .row[data-id='2']");
        await page.WaitForSelectorAsync("#detail:not([hidden])");
        await page.FillAsync("#where", "ms >");
        await page.PressAsync("#where", "Enter");
        await page.WaitForSelectorAsync("#where[aria-invalid=true]");
        var detailAndError = await AxeAsync(page);

        var serious = listView.Concat(detailAndError).Where(v => v.Impact is "serious" or "critical").ToList();
        Browser.Report($"axe-core: {listView.Count + detailAndError.Count} violations in two states (list; detail open with a filter error): "
            + string.Join("; ", listView.Concat(detailAndError).Select(v => $"{v.Id} ({v.Impact}, {v.Nodes} nodes)")));
        Assert.True(serious.Count == 0, string.Join("\n", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} [{v.Targets}]")));
    }

    private sealed record AxeViolation(string Id, string Impact, string Help, int Nodes, string Targets);

    private static async Task<List<AxeViolation>> AxeAsync(IPage page)
    {
        var json = await page.EvaluateAsync<string>("""
            async () => JSON.stringify((await axe.run(document)).violations.map(v => ({
              id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.length, targets: v.nodes.map(n => n.target.join(' ')).join(', ') })))
            """);
        return JsonSerializer.Deserialize<List<AxeViolation>>(json, Web)!;
    }

    /// <summary>POSTs entries <paramref name="first"/>.. as NDJSON: every third a warning, <c>ms</c> = 10 × number.</summary>
    private static async Task PostAsync(HttpClient http, int first, int count, Func<int, DateTimeOffset>? ts = null)
    {
        var body = new StringBuilder();
        for (var i = first; i < first + count; i++)
        {
            var time = ts is null ? "" : $"\"ts\":\"{ts(i).UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\",";
            body.Append(CultureInfo.InvariantCulture, $"{{{time}\"level\":\"{(i % 3 == 0 ? "warning" : "information")}\",\"source\":\"s{i % 4}\",\"message\":\"entry {i}\",\"props\":{{\"ms\":{i * 10}}}}}\n");
        }

        using var content = new StringContent(body.ToString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var response = await http.PostAsync(new Uri("/v1/logs", UriKind.Relative), content).OrTimeout(Timeout);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The ms the page spent drawing the list in each frame since the last call (its own script work, load aside).</summary>
    private static Task<double[]> RenderTimesAsync(IPage page) =>
        page.EvaluateAsync<double[]>("() => window.lifelineDashboard.renderTimes.splice(0)");

    // Frame times: the interval between consecutive requestAnimationFrame callbacks, in ms.
    private static async Task StartFrameRecorderAsync(IPage page) => await page.EvaluateAsync("""
        () => {
          window.lifelineDashboard.renderTimes.length = 0;
          const r = window.__frames = { times: [], last: performance.now(), on: true };
          const tick = now => { r.times.push(now - r.last); r.last = now; if (r.on) requestAnimationFrame(tick); };
          requestAnimationFrame(tick);
        }
        """);

    private static Task<double[]> StopFrameRecorderAsync(IPage page) =>
        page.EvaluateAsync<double[]>("() => { window.__frames.on = false; return window.__frames.times.slice(1); }");

    /// <summary>Scrolls the list once per frame for 300 frames: <c>wheel</c> 60 px up each, <c>jump</c> anywhere.</summary>
    private static Task<double[]> ScrollFramesAsync(IPage page, string mode) => page.EvaluateAsync<double[]>(
        """
        mode => new Promise(resolve => {
          window.lifelineDashboard.renderTimes.length = 0;
          const list = document.getElementById('list');
          const move = mode === 'wheel' ? list => list.scrollTop - 60 : (list, i) => list.scrollHeight * ((i * 7919) % 300) / 300;
          const times = [];
          let last = performance.now();
          let i = 0;
          const tick = now => {
            times.push(now - last);
            last = now;
            list.scrollTop = move(list, i);
            if (++i < 300) requestAnimationFrame(tick); else resolve(times.slice(1));
          };
          requestAnimationFrame(tick);
        })
        """,
        mode);

    private static string Describe(double[] frames)
    {
        if (frames.Length == 0)
        {
            return "no frames";
        }

        var sorted = frames.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        return string.Create(CultureInfo.InvariantCulture, $"{frames.Length} frames, p50 {At(0.5):F2} ms, p95 {At(0.95):F2} ms, p99 {At(0.99):F2} ms, max {sorted[^1]:F2} ms, over 50 ms: {frames.Count(f => f > 50)}");
    }
}
