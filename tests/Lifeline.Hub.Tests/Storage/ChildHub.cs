using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.LocalNats;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Storage;

/// <summary>
/// A hub in its own process (tests/Lifeline.Hub.TestHost) on the SQLite store, for tests that kill it with SIGKILL or
/// stop it with SIGTERM and start it again on the same file (and, if asked, the same port). Dispose kills a process
/// still running and waits for it, so no child outlives the test.
/// </summary>
internal sealed class ChildHub : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private ChildHub(Process process, Uri baseUri)
    {
        Process = process;
        BaseUri = baseUri;
        Http = new HttpClient { BaseAddress = baseUri };
    }

    public HttpClient Http { get; }

    public Process Process { get; }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri { get; }

    public Uri WsUri(string pathAndQuery) => new($"ws://127.0.0.1:{BaseUri.Port}/{pathAndQuery.TrimStart('/')}");

    /// <summary>Starts a hub on <paramref name="db"/>, on <paramref name="port"/> (0: a free one), and waits until it listens.</summary>
    public static async Task<ChildHub> StartAsync(string db, int port = 0)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Lifeline.Hub.TestHost.dll");
        Assert.True(File.Exists(dll), dll);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(db);
        info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Bound to the test host's life (src/Shared/LocalNats): a child hub never outlives a test host that dies.
        var process = ParentBoundProcess.Start(info);
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().OrTimeout(Timeout);
            Assert.NotNull(line);
            Assert.StartsWith("LISTENING ", line, StringComparison.Ordinal);
            return new ChildHub(process, new Uri(line["LISTENING ".Length..].TrimEnd('/') + "/"));
        }
        catch
        {
            await KillAndWaitAsync(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>A port free now, for a hub that must come back on the same address.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public async Task KillAsync()
    {
        await KillAndWaitAsync(Process);
        Assert.Equal(137, Process.ExitCode);
    }

    /// <summary>SIGTERM: the host's graceful stop (the hub drains); waits for the process to exit by itself.</summary>
    public async Task TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().OrTimeout(Timeout);
            Assert.Equal(0, kill.ExitCode);
        }

        await Process.WaitForExitAsync().OrTimeout(Timeout);
        Assert.Equal(0, Process.ExitCode);
    }

    /// <summary>Every entry in the store, oldest first, through <c>GET /v1/logs</c> pages.</summary>
    public async Task<List<LogEntry>> QueryAllAsync()
    {
        var all = new List<LogEntry>();
        string? next = "v1/logs?limit=1000&after=0";
        while (next is not null)
        {
            var page = HttpBodyJson.ParseQueryPage(await Http.GetByteArrayAsync(next.TrimStart('/')).OrTimeout(Timeout));
            all.AddRange(page.Entries);
            next = page.Next;
        }

        return all;
    }

    /// <summary>POSTs a JSON array with an <c>Idempotency-Key</c>.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, IEnumerable<LogEntry> entries, string key, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/logs") { Content = new ByteArrayContent(HubHost.SerializeArray(entries)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("Idempotency-Key", key);
        return await http.SendAsync(request, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAndWaitAsync(Process);
        Process.Dispose();
        Http.Dispose();
    }

    private static async Task KillAndWaitAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync().OrTimeout(Timeout);
    }
}
