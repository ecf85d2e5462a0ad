using Lifeline.Hub.Auth;
using Lifeline.LocalNats;
using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>
/// Issue 13, point 7, at the level of the key stores: three nodes' <see cref="ApiKeyStore"/>s share revocations through
/// the cluster's bucket on three real nats-servers (the multi-process proof is ClusterRevocationProcessTests).
/// </summary>
public sealed class ClusterRevocationsTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly string _keysFile = Path.Combine(Path.GetTempPath(), $"lifeline-cluster-keys-{Guid.NewGuid():N}.json");
    private readonly List<(ApiKeyStore Keys, ClusterRevocations Revocations)> _nodes = [];
    private LocalNatsCluster _engine = null!;

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(_keysFile, """
            {"keys":[
              {"id":"writer","key":"write-key","scopes":["write"]},
              {"id":"reader","key":"read-key","scopes":["read"]}
            ]}
            """);
        _engine = await NatsServerCluster.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (keys, revocations) in _nodes)
        {
            await revocations.DisposeAsync();
            await keys.DisposeAsync();
        }

        await _engine.DisposeAsync();
        File.Delete(_keysFile);
        foreach (var name in new[] { "a", "b", "c" })
        {
            File.Delete(KeysFileOf(name));
        }
    }

    [Fact]
    public async Task RevokeOnOneNode_ClosesTheKeyOnEveryNode_AndANodeStartedLaterHonoursIt()
    {
        var a = await StartNodeAsync("a");
        var b = await StartNodeAsync("b");
        var onB = b.Find("write-key")!;
        var revokedOnB = Fired(onB.Revoked);

        Assert.True(a.Revoke("writer", out var shared));
        await shared!.OrTimeout(Timeout);

        await revokedOnB.OrTimeout(Timeout);
        Assert.Null(b.Find("write-key"));
        Assert.NotNull(b.Find("read-key"));

        // A node that was not running when the key was revoked reads the bucket before it says it is loaded.
        var c = await StartNodeAsync("c");
        Assert.Null(c.Find("write-key"));
        Assert.NotNull(c.Find("read-key"));
    }

    [Fact]
    public async Task KeysFileReloadOnOneNode_RemovedKey_RevokedOnEveryNode_ScopeChangeIsNot()
    {
        var a = await StartNodeAsync("a");
        var b = await StartNodeAsync("b");
        var writerOnB = b.Find("write-key")!;
        var readerOnB = b.Find("read-key")!;
        var writerRevoked = Fired(writerOnB.Revoked);

        // Only a's file changes: writer removed, reader given another scope (replaced on a, not revoked anywhere).
        await File.WriteAllTextAsync(KeysFileOf("a"), """{"keys":[{"id":"reader","key":"read-key","scopes":["read","write"]}]}""");
        a.Reload();
        await writerRevoked.OrTimeout(Timeout);

        Assert.Null(b.Find("write-key"));
        Assert.False(readerOnB.IsRevoked);
        Assert.Same(readerOnB, b.Find("read-key"));
    }

    /// <summary>Each node's own copy of the keys file (each reloads its own, as on separate machines).</summary>
    private string KeysFileOf(string node) => _keysFile.Replace(".json", $"-{node}.json", StringComparison.Ordinal);

    private async Task<ApiKeyStore> StartNodeAsync(string name)
    {
        File.Copy(_keysFile, KeysFileOf(name), overwrite: true);
        var options = new HubOptions { KeysFile = KeysFileOf(name), KeysEnvironmentVariable = null };
        var keys = new ApiKeyStore(Options.Create(options), NullLogger<ApiKeyStore>.Instance);
        var revocations = new ClusterRevocations(keys, new ClusterRevocationSettings(_engine.Urls, name, Replicas: 3), TimeProvider.System, NullLogger.Instance);
        _nodes.Add((keys, revocations));
        keys.Start();
        revocations.Start();
        await revocations.WhenLoaded.OrTimeout(Timeout);
        return keys;
    }

    private static Task Fired(CancellationToken token)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => fired.TrySetResult());
        return fired.Task;
    }
}
