using Lifeline.Hub.Client;
using Lifeline.Hub.Client.Shipping;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Serilog;
using Serilog.Events;

namespace Lifeline.Serilog.Tests;

/// <summary>How one Serilog event becomes one hub entry (the shared shipping core is tested with the logging provider).</summary>
public class LifelineSinkMappingTests
{
    private readonly List<LogEntry> _stored = [];

    private async Task<LogEntry> EmitOneAsync(Action<ILogger> log)
    {
        var options = new LogShippingOptions { Url = new Uri("http://127.0.0.1:1/") };
        var sink = new LifelineSink(options, _ => new CollectingPublisher(_stored));
        await using (var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger())
        {
            log(logger);
        }

        // Disposing the logger disposed the sink, which flushed.
        await sink.DisposeAsync().AsTask().OrTimeout(TimeSpan.FromSeconds(30));
        return Assert.Single(_stored);
    }

    [Fact]
    public async Task Event_MapsSourceContextLevelRenderedMessageAndProperties()
    {
        var entry = await EmitOneAsync(l => l.ForContext("SourceContext", "Orders.Api")
            .Warning("Order {OrderId} took {Ms} ms for {@Customer} items {Items}", 7, 812.5, new { Name = "Ada", Vip = true }, new[] { 1, 2 }));

        Assert.Equal("Orders.Api", entry.Source);
        Assert.Equal(Lifeline.Protocol.LogEntryLevel.Warning, entry.Level);
        Assert.Equal("Order 7 took 812.5 ms for { Name: \"Ada\", Vip: True } items [1, 2]", entry.Message);
        var props = entry.Properties!.Value;
        Assert.Equal(7, props.GetProperty("OrderId").GetInt32());
        Assert.Equal("Ada", props.GetProperty("Customer").GetProperty("Name").GetString());
        Assert.True(props.GetProperty("Customer").GetProperty("Vip").GetBoolean());
        Assert.Equal([1, 2], props.GetProperty("Items").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("Order {OrderId} took {Ms} ms for {@Customer} items {Items}", props.GetProperty("messageTemplate").GetString());
        Assert.False(props.TryGetProperty("SourceContext", out _));
    }

    [Theory]
    [InlineData(LogEventLevel.Verbose, Lifeline.Protocol.LogEntryLevel.Trace)]
    [InlineData(LogEventLevel.Debug, Lifeline.Protocol.LogEntryLevel.Debug)]
    [InlineData(LogEventLevel.Information, Lifeline.Protocol.LogEntryLevel.Information)]
    [InlineData(LogEventLevel.Warning, Lifeline.Protocol.LogEntryLevel.Warning)]
    [InlineData(LogEventLevel.Error, Lifeline.Protocol.LogEntryLevel.Error)]
    [InlineData(LogEventLevel.Fatal, Lifeline.Protocol.LogEntryLevel.Critical)]
    public void Levels_MapToTheHubsNames(LogEventLevel serilog, Lifeline.Protocol.LogEntryLevel hub) =>
        Assert.Equal(hub, LifelineSink.Map(serilog));

    [Fact]
    public async Task Exception_IsShippedWithTypeAndText()
    {
        var entry = await EmitOneAsync(l => l.Error(new InvalidOperationException("boom"), "Failed"));
        Assert.Equal("System.InvalidOperationException", entry.Properties!.Value.GetProperty("exceptionType").GetString());
        Assert.Contains("boom", entry.Properties!.Value.GetProperty("exception").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteToLifeline_InvalidUrl_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoggerConfiguration().WriteTo.Lifeline(new Uri("ftp://x/")));
        Assert.Equal(nameof(LogShippingOptions.Url), ex.ParamName);
    }

    private sealed class CollectingPublisher(List<LogEntry> stored) : ILogBatchPublisher
    {
        private long _next = 1;

        public Task<PublishAck> PublishAsync(IReadOnlyList<LogEntry> batch, CancellationToken cancellationToken)
        {
            lock (stored)
            {
                stored.AddRange(batch);
                var first = _next;
                _next += batch.Count;
                return Task.FromResult(new PublishAck(batch.Count, first, _next - 1));
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
