using System.Text.Json;
using Lifeline.Extensions.Logging.Tests.Shipping;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.Logging;

namespace Lifeline.Extensions.Logging.Tests;

/// <summary>How one log call becomes one hub entry (the shipping itself is tested in Shipping/ and against a real hub).</summary>
public partial class LifelineLoggerMappingTests
{
    private readonly InProcessPublisher _publisher = new();

    private async Task<LogEntry> LogOneAsync(Action<ILogger> log, bool includeScopes = true)
    {
        var options = new LifelineLoggerOptions { Url = new Uri("http://127.0.0.1:1/"), IncludeScopes = includeScopes };
        await using (var provider = new LifelineLoggerProvider(options, _ => _publisher))
        {
            using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace).AddProvider(provider));
            log(factory.CreateLogger("Orders.Api"));
            await provider.DisposeAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30));
        }

        return Assert.Single(_publisher.Stored);
    }

    [LoggerMessage(EventId = 42, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Order {OrderId} took {Ms} ms")]
    private static partial void SlowOrder(ILogger logger, int orderId, double ms);

    [Fact]
    public async Task StructuredCall_MapsCategoryLevelMessageTemplateAndValues()
    {
        var entry = await LogOneAsync(l => SlowOrder(l, 7, 812.5));

        Assert.Equal("Orders.Api", entry.Source);
        Assert.Equal(Lifeline.Protocol.LogEntryLevel.Warning, entry.Level);
        Assert.Equal("Order 7 took 812.5 ms", entry.Message);
        var props = entry.Properties!.Value;
        Assert.Equal(7, props.GetProperty("OrderId").GetInt32());
        Assert.Equal(812.5, props.GetProperty("Ms").GetDouble());
        Assert.Equal("Order {OrderId} took {Ms} ms", props.GetProperty("messageTemplate").GetString());
        Assert.Equal(42, props.GetProperty("eventId").GetInt32());
        Assert.Equal("SlowOrder", props.GetProperty("eventName").GetString());
        Assert.NotEqual(default, entry.Timestamp);
    }

    [Fact]
    public async Task Exception_IsShippedWithTypeAndStackTrace()
    {
        var entry = await LogOneAsync(l =>
        {
            try
            {
                throw new InvalidOperationException("boom");
            }
            catch (InvalidOperationException ex)
            {
                l.LogError(ex, "Failed to charge {Card}", "visa");
            }
        });

        Assert.Equal(Lifeline.Protocol.LogEntryLevel.Error, entry.Level);
        Assert.Equal("Failed to charge visa", entry.Message);
        var props = entry.Properties!.Value;
        Assert.Equal("System.InvalidOperationException", props.GetProperty("exceptionType").GetString());
        var text = props.GetProperty("exception").GetString()!;
        Assert.Contains("boom", text, StringComparison.Ordinal);
        Assert.Contains(nameof(Exception_IsShippedWithTypeAndStackTrace), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scopes_KeyValueScopesBecomePropertiesOtherScopesATextArray_CallStateWins()
    {
        var entry = await LogOneAsync(l =>
        {
            using (l.BeginScope(new Dictionary<string, object?> { ["RequestId"] = "r-1", ["OrderId"] = 999 }))
            using (l.BeginScope("checkout"))
            using (l.BeginScope("step {Step}", 3))
            {
                l.LogInformation("Order {OrderId} paid", 7);
            }
        });

        var props = entry.Properties!.Value;
        Assert.Equal("r-1", props.GetProperty("RequestId").GetString());
        Assert.Equal(7, props.GetProperty("OrderId").GetInt32());
        Assert.Equal(3, props.GetProperty("Step").GetInt32());
        Assert.Equal(["checkout"], props.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Scopes_Excluded_WhenIncludeScopesIsFalse()
    {
        var entry = await LogOneAsync(
            l =>
            {
                using (l.BeginScope("checkout"))
                {
                    l.LogInformation("plain");
                }
            },
            includeScopes: false);

        Assert.Equal("plain", entry.Message);
        Assert.False(entry.Properties!.Value.TryGetProperty("scopes", out _));
    }

    [Fact]
    public async Task Values_AreCapturedAtTheCall_AsJsonPrimitivesArraysOrText()
    {
        var list = new List<int> { 1, 2 };
        var entry = await LogOneAsync(l =>
        {
            l.LogInformation("{List} {When} {Flag} {Nothing} {Other}", list, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), true, null, new Uri("http://x/"));
            list.Add(3);   // changed after the call: the entry keeps what was logged
        });

        var props = entry.Properties!.Value;
        Assert.Equal([1, 2], props.GetProperty("List").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("2026-12-01T00:00:00+00:00", props.GetProperty("When").GetString());
        Assert.True(props.GetProperty("Flag").GetBoolean());
        Assert.Equal(JsonValueKind.Null, props.GetProperty("Nothing").ValueKind);
        Assert.Equal("http://x/", props.GetProperty("Other").GetString());
    }

    [Fact]
    public async Task ThrowingToString_DoesNotFailTheLogCall()
    {
        var entry = await LogOneAsync(l => l.LogInformation("{Bad}", new BadToString()));
        Assert.Contains("threw InvalidOperationException", entry.Message, StringComparison.Ordinal);
        Assert.Contains("nope", entry.Properties!.Value.GetProperty("loggingError").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThrowingEnumeration_HalfWrittenPropertiesAreDiscarded_TheEntryStillShips()
    {
        var entry = await LogOneAsync(l => l.Log(Microsoft.Extensions.Logging.LogLevel.Information, default, new[] { new KeyValuePair<string, object?>("Items", ThrowingSequence()) }, null, (_, _) => "custom"));
        Assert.Equal("custom", entry.Message);
        Assert.Contains("half-way", entry.Properties!.Value.GetProperty("loggingError").GetString(), StringComparison.Ordinal);
    }

    private static IEnumerable<int> ThrowingSequence()
    {
        yield return 1;
        throw new InvalidOperationException("half-way");
    }

    [Fact]
    public void AddLifeline_InvalidOptions_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LifelineLoggerProvider(new LifelineLoggerOptions()));
        Assert.Equal(nameof(LifelineLoggerOptions.Url), ex.ParamName);
    }

    private sealed class BadToString
    {
        public override string ToString() => throw new InvalidOperationException("nope");
    }
}
