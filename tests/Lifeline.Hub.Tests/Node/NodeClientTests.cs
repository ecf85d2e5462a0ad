using System.Diagnostics;
using System.Text.Json;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;

namespace Lifeline.Hub.Tests.Node;

/// <summary>
/// A client that is not .NET: tests/node/peer.mjs, written from docs/protocol.md with Node's <c>ws</c> package
/// (installed by <c>npm ci --prefix tests/node</c> in .ci/install), publishes, subscribes and resumes against a real hub,
/// authenticating the browser way (subprotocol).
/// </summary>
public sealed class NodeClientTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-node-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task NodeWsClient_PublishesSubscribesAndResumes_ExactlyOnceInOrder()
    {
        // Checked before the hub starts: a machine without node or the npm packages fails here with one line.
        var node = RequiredTool.Find("LIFELINE_NODE", "it installs Debian's nodejs and npm", "node", "nodejs");
        var script = Path.Combine(Repository.Root, "tests", "node", "peer.mjs");
        RequiredTool.RequireDirectory(Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "ws"), "it runs npm ci --prefix tests/node");
        var keys = Path.Combine(_dir.FullName, "keys.json");
        await File.WriteAllTextAsync(keys, """{"keys":[{"id":"node","key":"node-secret","scopes":["read","write"]}]}""");
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.RequireAuthentication = true;
            o.KeysFile = keys;
        });

        var info = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add($"ws://127.0.0.1:{hub.BaseUri.Port}");
        info.ArgumentList.Add("node-secret");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
        {
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync().OrTimeout(TimeSpan.FromSeconds(30));
                Assert.Fail("node did not finish within 90 s: " + await stderr + "\nhub log:\n" + string.Join("\n", hub.Logs.GetSnapshot().Select(l => l.Message)));
            }
        }

        Assert.True(process.ExitCode == 0, await stderr);

        using var result = JsonDocument.Parse((await stdout).Trim().Split('\n')[^1]);
        var root = result.RootElement;
        var acks = root.GetProperty("acks").EnumerateArray().Select(a => (a.GetProperty("ref").GetString(), a.GetProperty("firstId").GetInt64(), a.GetProperty("lastId").GetInt64())).ToList();
        Assert.Equal([("b0", 1L, 20L), ("b1", 21L, 40L), ("b2", 41L, 60L)], acks);

        var hello = root.GetProperty("hello");
        Assert.Equal("hello", hello.GetProperty("type").GetString());
        Assert.Equal(60, hello.GetProperty("lastId").GetInt64());

        var first = root.GetProperty("first").EnumerateArray().Select(e => e.GetInt64()).ToList();
        var resumed = root.GetProperty("resumed").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), first);
        Assert.Equal(Enumerable.Range(26, 35).Select(i => (long)i), resumed);
        Assert.Equal("hello", root.GetProperty("resumedTypes")[0].GetString());

        // The hub counted the peer's reconnects by its clientId (two streams and one ingest socket).
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/stats");
        request.Headers.Authorization = new("Bearer", "node-secret");
        using var stats = JsonDocument.Parse(await (await hub.Http.SendAsync(request)).Content.ReadAsStringAsync());
        Assert.Equal(2, stats.RootElement.GetProperty("reconnects").GetProperty("node-peer").GetInt64());
        var page = HttpBodyJson.ParseQueryPage(await GetWithKeyAsync(hub, "v1/logs?after=59"));
        Assert.Equal(LogEntryLevel.Information, Assert.Single(page.Entries).Level);
    }

    private static async Task<byte[]> GetWithKeyAsync(HubHost hub, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", "node-secret");
        using var response = await hub.Http.SendAsync(request);
        return await response.Content.ReadAsByteArrayAsync();
    }
}
