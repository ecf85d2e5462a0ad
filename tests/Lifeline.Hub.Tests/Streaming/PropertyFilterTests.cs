using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Lifeline.Hub.Client;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using static Lifeline.Hub.Tests.HubClient.HubClientFixtures;

namespace Lifeline.Hub.Tests.Streaming;

/// <summary>Issue 16 point 3: property predicates (<c>where</c>) and exact levels (<c>levels</c>), evaluated by the hub.</summary>
public class PropertyFilterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static LogEntry Entry(string message, string? props = null, LogEntryLevel level = LogEntryLevel.Information, string source = "api") =>
        new() { Message = message, Level = level, Source = source, Properties = props is null ? null : JsonDocument.Parse(props).RootElement.Clone() };

    /// <summary>Ids 1..8: only 2, 5 and 8 have <c>ms &gt; 1000</c>; 4 has no props at all, 6 has <c>ms</c> as a string.</summary>
    private static readonly LogEntry[] Mixed =
    [
        Entry("fast", """{"ms":12,"user":"x","status":200}"""),
        Entry("slow", """{"ms":1500,"user":"y","status":500}"""),
        Entry("exactly", """{"ms":1000,"user":"x"}"""),
        Entry("no props"),
        Entry("slow for x", """{"ms":2500.5,"user":"x","status":500,"http":{"path":"/Orders/7"}}""", LogEntryLevel.Error, "db"),
        Entry("string ms", """{"ms":"5000","user":"x"}"""),
        Entry("null user", """{"ms":3,"user":null}""", LogEntryLevel.Warning, "auth"),
        Entry("last slow", """{"ms":1001,"user":"z","big":1e999}""", LogEntryLevel.Critical),
    ];

    /// <summary>Ids 9..11, published after <see cref="Mixed"/>: each case below ends with one of them.</summary>
    private static readonly LogEntry[] Markers =
    [
        Entry("marker 9", """{"ms":9999,"user":"x","status":500,"http":{"path":"/orders/9"}}""", LogEntryLevel.Critical, "db"),
        Entry("marker 10", """{"ms":0,"user":"x"}""", LogEntryLevel.Critical, "db"),
        Entry("marker 11", """{"ms":0,"user":null,"big":5}""", LogEntryLevel.Critical, "db"),
    ];

    [Theory]
    [InlineData("where=ms%20%3E%201000", new long[] { 2, 5, 8, 9 })]
    [InlineData("where=status%20%3D%20500", new long[] { 2, 5, 9 })]
    [InlineData("where=user%20%3D%20%22x%22", new long[] { 1, 3, 5, 6, 9, 10 })]
    [InlineData("where=user%20!%3D%20%22x%22", new long[] { 2, 7, 8, 11 })] // present and not "x": 4 (no props) is not
    [InlineData("where=ms%20%3C%3D%201000&where=user%20%3D%20%22x%22", new long[] { 1, 3, 10 })] // 6's ms is a string
    [InlineData("where=http.path%20contains%20%22orders%22", new long[] { 5, 9 })]
    [InlineData("where=user%20%3D%20null", new long[] { 7, 11 })]
    [InlineData("levels=warning,critical", new long[] { 7, 8, 9, 10, 11 })]
    [InlineData("where=big%20%3E%200&where=user%20!%3D%20%22q%22", new long[] { 8, 11 })] // 8's big, 1e999, compares as infinity
    [InlineData("levels=error,critical&source=api&source=db", new long[] { 5, 8, 9, 10, 11 })]
    public async Task Stream_Where_OnlyMatchingEntriesCrossTheWire(string query, long[] expected)
    {
        await using var hub = await HubHost.StartAsync();
        await using var sub = await hub.SubscribeAsync(query);
        await sub.ReceiveUntilAsync<LiveMessage>();

        await hub.PostAsync(Mixed);
        await hub.PostAsync(Markers);

        // Ids on a stream strictly increase: once the last expected id arrived, every earlier entry either was sent
        // before it or never will be, so the list is exactly what crossed the wire up to it.
        await sub.ReceiveEntriesAsync(expected.Length);
        Assert.Equal(expected, sub.Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task Resume_WithWhere_CatchUpFromTheStoreIsFilteredToo()
    {
        await using var hub = await HubHost.StartAsync();
        await hub.PostAsync(Mixed);
        await using var sub = await hub.SubscribeAsync("after=0&where=ms%20%3E%201000");

        await sub.ReceiveUntilAsync<LiveMessage>();

        Assert.Equal([2L, 5L, 8L], sub.Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task Query_Where_PagesWithTheSameFilter()
    {
        await using var hub = await HubHost.StartAsync();
        await hub.PostAsync(Mixed);

        using var first = JsonDocument.Parse(await hub.Http.GetStringAsync("v1/logs?where=ms%20%3E%201000&limit=2").OrTimeout(Timeout));
        Assert.Equal([2L, 5L], first.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        var next = first.RootElement.GetProperty("next").GetString()!;
        Assert.Equal("/v1/logs?where=ms%20%3E%201000&after=5&limit=2", next);

        using var second = JsonDocument.Parse(await hub.Http.GetStringAsync(next.TrimStart('/')).OrTimeout(Timeout));
        Assert.Equal([8L], second.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
    }

    [Theory]
    [InlineData("ms >", "where: 'ms >': expected a value after the operator")]
    [InlineData("ms ~ 3", "where: 'ms ~ 3': expected an operator (=, !=, <, <=, >, >=, contains) after 'ms'")]
    [InlineData("user = x", "where: 'user = x': the value x is not a number, a \"quoted string\", true, false or null")]
    [InlineData("= 3", "where: '= 3': expected a property name at position 0 (letters, digits, _ - @ $, or a \"quoted name\")")]
    [InlineData("ms contains 3", "where: 'ms contains 3': contains takes a \"quoted string\"")]
    [InlineData("ok > true", "where: 'ok > true': > compares numbers or strings, not true")]
    public async Task Query_InvalidPredicate_Is400InvalidFilterNamingIt(string predicate, string message)
    {
        await using var hub = await HubHost.StartAsync();

        using var response = await hub.Http.GetAsync("v1/logs?where=" + Uri.EscapeDataString(predicate)).OrTimeout(Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_filter", body.RootElement.GetProperty("error").GetString());
        Assert.Equal(message, body.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Query_TooManyOrTooLongPredicates_OrAnUnknownLevel_Is400InvalidFilter()
    {
        await using var hub = await HubHost.StartAsync();
        var seventeen = string.Concat(Enumerable.Range(0, 17).Select(i => $"&where=p{i}%20%3D%201"));
        var sixteen = string.Concat(Enumerable.Range(0, 16).Select(i => $"&where=p{i}%20%3D%201"));
        var cases = new (string Query, string? Message)[]
        {
            ("limit=1" + seventeen, "where: at most 16 predicates"),
            ("limit=1" + sixteen, null),
            ("where=" + Uri.EscapeDataString("s = \"" + new string('x', 1019) + "\""), "where: a predicate is at most 1024 characters"),
            ("where=" + Uri.EscapeDataString("s = \"" + new string('x', 1018) + "\""), null),
            ("levels=warning,loud", "levels: unknown level 'loud' (expected a comma-separated list of trace, debug, information, warning, error, critical)"),
            ("levels=,", "levels: must name at least one level"),
        };

        foreach (var (query, message) in cases)
        {
            using var response = await hub.Http.GetAsync("v1/logs?" + query).OrTimeout(Timeout);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (message is null)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                continue;
            }

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid_filter", body.RootElement.GetProperty("error").GetString());
            Assert.Equal(message, body.RootElement.GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stream_InvalidPredicate_HandshakeIs400InvalidFilter(bool leanStreams)
    {
        await using var hub = await HubHost.StartAsync(leanStreams: leanStreams);
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(hub.WsUri("v1/stream?where=ms%20%3E"), CancellationToken.None).OrTimeout(Timeout));

        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
        using var response = await hub.Http.GetAsync("v1/stream?where=ms%20%3E").OrTimeout(Timeout); // the same check answers a plain GET's body
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"invalid_filter\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TypedClient_SubscribeWithWhere_GetsOnlyMatchingEntries()
    {
        await using var hub = await HubHost.StartAsync();
        await hub.PostAsync(Mixed);
        await using var client = new LifelineHubClient(Options(hub.BaseUri));
        using var cts = new CancellationTokenSource();

        var filter = new LogFilter { Where = [PropertyPredicate.Parse("ms > 1000")], Levels = [LogEntryLevel.Information, LogEntryLevel.Critical], After = 0 };
        var received = new List<long>();
        await foreach (var entry in client.SubscribeAsync(filter, cancellationToken: cts.Token).WithCancellation(cts.Token))
        {
            received.Add(entry.Id);
            if (entry.Id == 8)
            {
                break;
            }
        }

        Assert.Equal([2L, 8L], received);
    }

    [Theory]
    [InlineData("ms>1000", "ms > 1000")]
    [InlineData("  user   =   \"x\" ", "user = \"x\"")]
    [InlineData("http.status >= 5e2", "http.status >= 5e2")]
    [InlineData("\"my prop\".\"a.b\" CONTAINS \"q\"", "\"my prop\".\"a.b\" contains \"q\"")]
    [InlineData("ok == true", "ok = true")]
    public void Predicate_CanonicalText_ParsesBackEqual(string text, string canonical)
    {
        var predicate = PropertyPredicate.Parse(text);

        Assert.Equal(canonical, predicate.ToString());
        Assert.Equal(predicate, PropertyPredicate.Parse(canonical));
        var filter = new LogFilter { Where = [predicate], Levels = [LogEntryLevel.Error] };
        Assert.Equal(filter, LogFilter.Parse(filter.ToQueryString()));
    }

    [Fact]
    public void Predicate_MissingPropertyOrProps_MatchesNoOperator()
    {
        using var doc = JsonDocument.Parse("""{"other":1,"nested":5}""");
        foreach (var text in new[] { "ms = 1", "ms != 1", "ms < 1", "ms > 1", "ms contains \"1\"", "ms = null", "ms != null", "nested.x = 5" })
        {
            var predicate = PropertyPredicate.Parse(text);
            Assert.False(predicate.Matches(doc.RootElement), text);
            Assert.False(predicate.Matches(null), text);
        }
    }

    [Fact]
    public void Predicate_ArbitraryText_ParsesOrNamesTheFault_NeverThrows()
    {
        // Predicates come from query strings anyone can send: every text either parses (and its canonical form parses
        // back equal) or gets a message; none throws.
        const string Alphabet = "ab.\"\\ =!<>-_@$0123456789eE+truefalsnul contains\u00e9\t{}[],";
        var random = new Random(16);
        using var props = JsonDocument.Parse("""{"a":{"b":1},"b":"x","big":1e999}""");
        for (var i = 0; i < 20_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 24)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);
            if (PropertyPredicate.TryParse(text, out var predicate, out var error))
            {
                Assert.Equal(predicate, PropertyPredicate.Parse(predicate.ToString()));
                predicate.Matches(props.RootElement);
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
        }
    }
}
