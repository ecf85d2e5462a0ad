using Microsoft.Playwright;

namespace Lifeline.Cli.Tests.Dashboard;

/// <summary>Issue 5 point 8: the dashboard end to end in Debian's chromium against a real hub.</summary>
public class DashboardBrowserTests
{
    [Fact]
    public async Task Dashboard_LoadsWithKey_ShowsEntries_FiltersPausesAndCharts()
    {
        using var keys = new KeysFile();
        await using var hub = await ServedHub.StartAsync("--keys", keys.Path);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync($"{hub.Url}/?access_token=read-key");
        await page.WaitForSelectorAsync("#status[data-state=live]");
        await hub.SendAsync(ServedHub.Mixed, "--ndjson", "--key", "write-key");
        await page.WaitForSelectorAsync("#rows tr[data-id='6']");
        Assert.Equal(6, await page.Locator("#rows tr").CountAsync());
        Assert.Equal("critical", await page.Locator("#rows tr[data-id='6'] td.level").TextContentAsync());

        await page.SelectOptionAsync("#level", "warning");
        Assert.Equal(["2", "3", "4", "6"], await RowIdsAsync(page));
        await page.SelectOptionAsync("#source", "api");
        Assert.Equal(["2", "6"], await RowIdsAsync(page));
        await page.FillAsync("#contains", "SLOW");
        Assert.Equal(["2"], await RowIdsAsync(page));
        await browser.ScreenshotAsync("dashboard-filtered");
        await page.SelectOptionAsync("#level", "trace");
        await page.SelectOptionAsync("#source", "");
        await page.FillAsync("#contains", "");
        Assert.Equal(6, await page.Locator("#rows tr").CountAsync());

        // Paused: new entries are held, not shown and not lost; resume shows every one of them.
        await page.ClickAsync("#pause");
        await hub.SendAsync(ServedHub.Numbered(7, 9), "--ndjson", "--key", "write-key");
        await page.WaitForFunctionAsync("() => window.lifelineDashboard.pending.length === 3");
        Assert.Equal(6, await page.Locator("#rows tr").CountAsync());
        Assert.Equal("3 new while paused", await page.Locator("#pending").TextContentAsync());
        await browser.ScreenshotAsync("dashboard-paused");
        await page.ClickAsync("#pause");
        await page.WaitForSelectorAsync("#rows tr[data-id='9']");
        Assert.Equal(["1", "2", "3", "4", "5", "6", "7", "8", "9"], await RowIdsAsync(page));

        // Charts read /v1/stats: this page is the one subscriber, and the hub saw the ingest.
        await page.WaitForFunctionAsync("() => document.getElementById('subscribers-value').textContent === '1'");
        await page.WaitForFunctionAsync("() => window.lifelineDashboard.charts.ingest.some(v => v > 0)");
        await browser.ScreenshotAsync("dashboard-live");

        var origin = new Uri(hub.Url).Authority;
        Assert.All(browser.Requests, url => Assert.Equal(origin, new Uri(url).Authority)); // nothing from a CDN
    }

    [Fact]
    public async Task Dashboard_HubRestartedOnTheSamePort_ResumesWithoutGapOrDuplicate()
    {
        var db = Path.Combine(Path.GetTempPath(), $"lifeline-dashboard-{Guid.NewGuid():N}.db");
        try
        {
            // Disposed however the test ends (a browser that cannot start included): a hub left running would fail
            // the whole run with the leak verifier's assembly-level error instead of this one test.
            await using var hub = await ServedHub.StartAsync("--store", $"sqlite:{db}");
            var port = hub.Port;
            await using var browser = await Browser.LaunchAsync();
            var page = browser.Page;
            await page.GotoAsync(hub.Url + "/");
            await page.WaitForSelectorAsync("#status[data-state=live]");
            await hub.SendAsync(ServedHub.Numbered(1, 20), "--ndjson");
            await page.WaitForSelectorAsync("#rows tr[data-id='20']");

            await hub.DisposeAsync();
            await page.WaitForSelectorAsync("#status[data-state=reconnecting]");
            await browser.ScreenshotAsync("dashboard-hub-down");
            await using var restarted = await ServedHub.StartAsync("--store", $"sqlite:{db}", "--urls", $"http://127.0.0.1:{port}");
            await restarted.SendAsync(ServedHub.Numbered(21, 40), "--ndjson");
            await page.WaitForSelectorAsync("#rows tr[data-id='40']", new() { Timeout = 60_000 });
            await page.WaitForSelectorAsync("#status[data-state=live]");
            await browser.ScreenshotAsync("dashboard-after-restart");

            var ids = await page.EvaluateAsync<long[]>("() => window.lifelineDashboard.ids");
            Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), ids);
            Assert.Equal(Enumerable.Range(1, 40).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), await RowIdsAsync(page));
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(db) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    private static async Task<string[]> RowIdsAsync(IPage page) =>
        await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#rows tr')].map(r => r.dataset.id)");
}
