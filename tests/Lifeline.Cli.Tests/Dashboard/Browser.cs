using Lifeline.Tests.Shared;
using Microsoft.Playwright;

namespace Lifeline.Cli.Tests.Dashboard;

/// <summary>
/// Debian's chromium driven by Microsoft.Playwright (never a downloaded browser), one per test; disposing closes the
/// browser and the Playwright driver process. Screenshots go to artifacts/screenshots at the repository root.
/// The browser is <c>chromium</c> or <c>chromium-browser</c> on PATH, or the executable LIFELINE_CHROMIUM names; without
/// one, <see cref="LaunchAsync"/> fails the test with one line saying what to install, before anything starts.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    /// <summary>The pages' time zone: not UTC (and a half-hour offset), so local and UTC times always differ.</summary>
    public const string TimeZone = "Asia/Kolkata";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.Request += (_, request) => { lock (Requests) { Requests.Add(request.Url); } };
    }

    public IPage Page { get; }

    /// <summary>Every URL the page requested (pages, scripts, fetches, WebSockets).</summary>
    public List<string> Requests { get; } = [];

    public static async Task<Browser> LaunchAsync()
    {
        var executable = RequiredTool.Find("LIFELINE_CHROMIUM", "it installs Debian's chromium", "chromium", "chromium-browser");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = executable,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            return new Browser(playwright, browser, await NewPageAsync(browser));
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A page in a new browser context (its own session storage), as someone else opening a shared link.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var page = await NewPageAsync(_browser);
        page.Request += (_, request) => { lock (Requests) { Requests.Add(request.Url); } };
        return page;
    }

    private static async Task<IPage> NewPageAsync(IBrowser browser)
    {
        var page = await browser.NewPageAsync(new()
        {
            ViewportSize = new() { Width = 1280, Height = 800 },
            TimezoneId = TimeZone,
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        page.SetDefaultTimeout(30_000);
        return page;
    }

    /// <summary>Appends a line to artifacts/dashboard-figures.txt (figures the tests measure and report, never assert).</summary>
    public static void Report(string line)
    {
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
        var path = Path.Combine(Repository.Root, "artifacts", "dashboard-figures.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.AppendAllText(path, $"{DateTimeOffset.UtcNow:u} {line} (loadavg {load})\n");
    }

    /// <summary>Saves a full-page screenshot as artifacts/screenshots/<paramref name="name"/>.png and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(ArtifactsDirectory(), $"{name}.png");
        await Page.ScreenshotAsync(new() { Path = path, FullPage = false });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private static string ArtifactsDirectory()
    {
        var path = Path.Combine(Repository.Root, "artifacts", "screenshots");
        Directory.CreateDirectory(path);
        return path;
    }
}
