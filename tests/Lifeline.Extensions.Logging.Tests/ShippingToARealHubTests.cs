using Lifeline.Extensions.Logging.Tests.Shipping;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Lifeline.Hub.Tests.HubClient.HubClientFixtures;

namespace Lifeline.Extensions.Logging.Tests;

/// <summary>The provider against a real hub on 127.0.0.1, through a fault proxy where the hub must be unreachable.</summary>
public class ShippingToARealHubTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static void Configure(LifelineLoggerOptions o, Uri url)
    {
        o.Url = url;
        o.ConfigureClient = Options(url).ConfigureClient;
    }

    [Fact]
    public async Task AddLifeline_LogsReachTheHubWithCategoryLevelAndProperties_DisposeFlushes()
    {
        await using var hub = await HubHost.StartAsync();
        var services = new ServiceCollection().AddLogging(b => b.AddLifeline(o =>
        {
            Configure(o, hub.BaseUri);
            o.BatchInterval = TimeSpan.FromHours(1);   // only a full batch or disposal publishes
        }));
        await using (var provider = services.BuildServiceProvider())
        {
            var logger = provider.GetRequiredService<ILogger<ShippingToARealHubTests>>();
            for (var i = 0; i < 1_234; i++)
            {
                logger.LogWarning("Order {OrderId} is late", i);
            }
        }

        var stored = await QueryAllAsync(hub);
        Assert.Equal(1_234, stored.Count);
        Assert.Equal(Enumerable.Range(0, 1_234).Select(i => $"Order {i} is late"), stored.Select(e => e.Message));
        Assert.All(stored, e => Assert.Equal(typeof(ShippingToARealHubTests).FullName, e.Source));
        Assert.All(stored, e => Assert.Equal(Lifeline.Protocol.LogEntryLevel.Warning, e.Level));
        Assert.Equal(1_233, stored[^1].Properties!.Value.GetProperty("OrderId").GetInt32());
    }

    /// <summary>
    /// Regression (issue 11, point 9): a <c>Dictionary&lt;string,int&gt;</c> arrived as <c>["[a, 1]","[b, 2]"]</c> (only
    /// pairs of object values were seen as key/value sequences), and a value whose <c>ToString</c> throws cost the call's
    /// other values and its template. Every key/value sequence arrives as an object; a throwing value keeps the rest.
    /// </summary>
    [Fact]
    public async Task TypedDictionaries_ArriveAsObjects_AThrowingToString_KeepsTheOtherValuesAndTheTemplate()
    {
        await using var hub = await HubHost.StartAsync();
        var services = new ServiceCollection().AddLogging(b => b.AddLifeline(o => Configure(o, hub.BaseUri)));
        await using (var provider = services.BuildServiceProvider())
        {
            var logger = provider.GetRequiredService<ILogger<ShippingToARealHubTests>>();
            logger.LogInformation(
                "{Ints} {Objects} {ByNumber} {PairList} {Table} {Nested}",
                new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 },
                new Dictionary<string, object?> { ["a"] = 1, ["b"] = "x" },
                new SortedDictionary<int, string> { [2] = "two", [1] = "one" },
                new List<KeyValuePair<string, double>> { new("pi", 3.5) },
                new System.Collections.Hashtable { ["h"] = true },
                new Dictionary<string, Dictionary<string, long>> { ["outer"] = new() { ["inner"] = 7 } });
            logger.LogWarning("Order {OrderId} for {Customer} at {Amount}", 42, new ThrowingToString(), 9.5m);
        }

        var stored = await QueryAllAsync(hub);
        Assert.Equal(2, stored.Count);
        var props = stored[0].Properties!.Value;
        Assert.Equal("""{"a":1,"b":2}""", props.GetProperty("Ints").GetRawText());
        Assert.Equal("""{"a":1,"b":"x"}""", props.GetProperty("Objects").GetRawText());
        Assert.Equal("""{"1":"one","2":"two"}""", props.GetProperty("ByNumber").GetRawText());
        Assert.Equal("""{"pi":3.5}""", props.GetProperty("PairList").GetRawText());
        Assert.Equal("""{"h":true}""", props.GetProperty("Table").GetRawText());
        Assert.Equal("""{"outer":{"inner":7}}""", props.GetProperty("Nested").GetRawText());

        var failed = stored[1];
        Assert.Equal(Lifeline.Protocol.LogEntryLevel.Warning, failed.Level);
        Assert.StartsWith("Order {OrderId} for {Customer} at {Amount} <formatting the log message threw InvalidOperationException", failed.Message, StringComparison.Ordinal);
        var kept = failed.Properties!.Value;
        Assert.Equal(42, kept.GetProperty("OrderId").GetInt32());
        Assert.Equal(9.5m, kept.GetProperty("Amount").GetDecimal());
        Assert.Equal("<ThrowingToString.ToString() threw InvalidOperationException>", kept.GetProperty("Customer").GetString());
        Assert.Equal("Order {OrderId} for {Customer} at {Amount}", kept.GetProperty("messageTemplate").GetString());
        Assert.Contains("customer lookup failed", kept.GetProperty("loggingError").GetString(), StringComparison.Ordinal);
    }

    private sealed class ThrowingToString
    {
        public override string ToString() => throw new InvalidOperationException("customer lookup failed");
    }

    [Fact]
    public async Task HubUnreachableForAWhile_WithinTheBufferBound_NothingLostNothingDuplicated()
    {
        await using var hub = await HubHost.StartAsync();
        await using var proxy = await StartProxyAsync(hub);
        var loggerProvider = new LifelineLoggerProvider(new LifelineLoggerOptions { BufferCapacity = 2_000, MaxBatchSize = 100 }.With(o => Configure(o, proxy.GetUri("http"))));
        await using (loggerProvider)
        {
            var logger = loggerProvider.CreateLogger("app");
            logger.LogInformation("before 0");
            await loggerProvider.Shipper.WaitForAsync(s => s.Acknowledged == 1).OrTimeout(Timeout);

            // The hub goes away (connections cut, new ones refused) and the application keeps logging.
            await proxy.RefuseNewConnectionsAsync(RefusalMode.StopListening).OrTimeout(Timeout);
            await proxy.CutAllAsync(CutMode.Reset).OrTimeout(Timeout);
            for (var i = 1; i <= 1_500; i++)
            {
                logger.LogInformation("during {I}", i);
            }

            Assert.Equal(0, loggerProvider.Shipper.GetStats().Dropped);
            await proxy.AcceptNewConnectionsAsync().OrTimeout(Timeout);
            await loggerProvider.Shipper.WaitForAsync(s => s.Acknowledged == 1_501).OrTimeout(Timeout);
        }

        var stored = await QueryAllAsync(hub);
        Assert.Equal(["before 0", .. Enumerable.Range(1, 1_500).Select(i => $"during {i}")], stored.Select(e => e.Message));
        Assert.Equal(Enumerable.Range(1, 1_501).Select(i => (long)i), stored.Select(e => e.Id));
    }

    [Fact]
    public async Task HubUnreachable_BeyondTheBufferBound_OldestDroppedExactCountInOneSummaryOnceBack()
    {
        const int capacity = 300, batch = 50, logged = 1_000;
        await using var hub = await HubHost.StartAsync();
        await using var proxy = await StartProxyAsync(hub);
        await proxy.RefuseNewConnectionsAsync(RefusalMode.StopListening).OrTimeout(Timeout);

        // Batching runs on a manual clock that never moves: a batch leaves only when full (or on disposal), so the test
        // knows exactly which entries are in flight when the buffer overflows.
        var options = new LifelineLoggerOptions { BufferCapacity = capacity, MaxBatchSize = batch, TimeProvider = new ManualTimeProvider() };
        Configure(options, proxy.GetUri("http"));
        var loggerProvider = new LifelineLoggerProvider(options);
        await using (loggerProvider)
        {
            var logger = loggerProvider.CreateLogger("app");
            for (var i = 0; i < batch; i++)
            {
                logger.LogInformation("e{I}", i);
            }

            await loggerProvider.Shipper.WaitForAsync(s => s.InFlight == batch).OrTimeout(Timeout);
            for (var i = batch; i < batch + logged; i++)
            {
                logger.LogInformation("e{I}", i);
            }

            Assert.Equal(logged - capacity, loggerProvider.Shipper.GetStats().Dropped);
            await proxy.AcceptNewConnectionsAsync().OrTimeout(Timeout);
        }

        var stored = await QueryAllAsync(hub);
        var summary = $"{logged - capacity} entries dropped while the hub was unreachable";
        string[] expected =
        [
            .. Enumerable.Range(0, batch).Select(i => $"e{i}"),
            summary,
            .. Enumerable.Range(batch + logged - capacity, capacity).Select(i => $"e{i}"),
        ];
        Assert.Equal(expected, stored.Select(e => e.Message));
        Assert.Equal(logged - capacity, stored[batch].Properties!.Value.GetProperty("dropped").GetInt64());
        Assert.Equal(new Shipping.ShipperCounts(batch + logged, batch + capacity + 1, logged - capacity), Shipping.ShipperCounts.Of(loggerProvider.Shipper));
    }
}
