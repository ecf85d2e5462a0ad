using Lifeline.Cli.Commands;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Cli.Tests.Commands;

/// <summary>Issue 5 points 4 and 7: <c>lifeline send</c>.</summary>
public class SendTests
{
    [Fact]
    public async Task Send_Argument_PublishesOneEntry_PrintsItsId()
    {
        await using var hub = await ServedHub.StartAsync();

        var result = await hub.SendAsync(string.Empty, "--level", "warn", "--source", "deploy", "rollout", "paused");

        Assert.Equal("acknowledged 1 entry in 1 batch: id 1", result.Out.Trim());
        var entry = Assert.Single(await hub.AllEntriesAsync());
        Assert.Equal("rollout paused", entry.GetProperty("message").GetString());
        Assert.Equal("warning", entry.GetProperty("level").GetString());
        Assert.Equal("deploy", entry.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Send_StdinLines_BatchedInOrder_SummaryOfIds()
    {
        await using var hub = await ServedHub.StartAsync();
        var lines = string.Concat(Enumerable.Range(1, 2500).Select(i => $"line {i}\n")) + "\n   \n";

        var result = await hub.SendAsync(lines, "--batch-size", "1000");

        Assert.Equal("acknowledged 2500 entries in 3 batches: ids 1-2500", result.Out.Trim());
        var entries = await hub.AllEntriesAsync();
        Assert.Equal(Enumerable.Range(1, 2500).Select(i => $"line {i}"), entries.Select(e => e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Send_Ndjson_KeepsLevelsSourcesAndProps()
    {
        await using var hub = await ServedHub.StartAsync();

        await hub.SendAsync("""
            {"level":"error","source":"db","message":"deadlock","props":{"table":"orders"}}
            {"level":"debug","source":"api","message":"GET /"}
            """, "--ndjson");

        var entries = await hub.AllEntriesAsync();
        Assert.Equal(["error", "debug"], entries.Select(e => e.GetProperty("level").GetString()));
        Assert.Equal("orders", entries[0].GetProperty("props").GetProperty("table").GetString());
    }

    [Fact]
    public async Task Send_InvalidNdjsonLine_SendsWhatCameBefore_NamesTheLine()
    {
        await using var hub = await ServedHub.StartAsync();
        var input = ServedHub.Numbered(1, 3) + "{not json\n" + ServedHub.Numbered(5, 6);

        var result = await new CliRunner { Input = input }.RunAsync("send", "--url", hub.Url, "--ndjson");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("acknowledged 3 entries in 1 batch: ids 1-3", result.Out.Trim());
        Assert.StartsWith("lifeline: line 4: not valid JSON", Assert.Single(result.ErrorLines));
        Assert.Equal(3, (await hub.AllEntriesAsync()).Count);
    }

    [Fact]
    public async Task Send_LineTheHubRejects_NamesTheLine_NothingOfItsBatchStored()
    {
        await using var hub = await ServedHub.StartAsync();
        var input = ServedHub.Numbered(1, 2) + """{"level":"loud","message":"bad level"}""" + "\n" + ServedHub.Numbered(4, 4);

        var result = await new CliRunner { Input = input }.RunAsync("send", "--url", hub.Url, "--ndjson", "--batch-size", "2");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("acknowledged 2 entries in 1 batch: ids 1-2", result.Out.Trim());
        Assert.StartsWith("lifeline: the hub rejected line 3: ", Assert.Single(result.ErrorLines));
        Assert.EndsWith("nothing from line 3 on was stored", result.ErrorLines[0]);
        Assert.Equal(["entry 1", "entry 2"], (await hub.AllEntriesAsync()).Select(e => e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Send_AnswerLost_RetriesWithSameIdempotencyKey_StoredOnce()
    {
        await using var hub = await ServedHub.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, hub.Port));
        // The request reaches the hub (which stores the batch) but its answer is swallowed: the client times out.
        proxy.SetHalfOpen(Direction.Downstream);
        var runner = new CliRunner { Input = ServedHub.Numbered(1, 3) };

        var sending = runner.RunAsync("send", "--url", proxy.GetUri("http", "/").ToString(), "--ndjson", "--timeout", "1");
        await proxy.WaitForDroppedBytesAsync(1).OrTimeout(TimeSpan.FromSeconds(30));
        proxy.Heal();
        var result = await sending.OrTimeout(TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("lifeline: batch 1 not acknowledged", result.Error);
        Assert.Equal("acknowledged 3 entries in 1 batch: ids 1-3", result.Out.Trim());
        Assert.Equal(["entry 1", "entry 2", "entry 3"], (await hub.AllEntriesAsync()).Select(e => e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Send_HubSlowerThanInput_ReadsAhead_BoundedNotUnbounded()
    {
        await using var hub = await ServedHub.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, hub.Port));
        proxy.SetHalfOpen(Direction.Upstream); // no batch is ever answered
        var input = new EndlessReader();
        using var cts = new CancellationTokenSource();
        var runner = new CliRunner { InputReader = input };

        var sending = runner.RunAsync(cts.Token, "send", "--url", proxy.GetUri("http", "/").ToString(), "--batch-size", "100", "--timeout", "1", "--retries", "1000");
        // A whole request timeout has passed with the reader free to run: an unbounded reader would be far past the bound.
        await runner.Error.WaitForAsync("not acknowledged").OrTimeout(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();
        var result = await sending.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(130, result.ExitCode);
        Assert.Contains("interrupted: acknowledged 0 entries", result.Out);
        // In flight (1) + read ahead (2) + the batch being filled (1), of 100 lines each, plus the line in hand.
        Assert.InRange(input.LinesRead, 300, 401);
    }

    [Fact]
    public async Task Send_LargeInput_ShowsProgressAndRate()
    {
        await using var hub = await ServedHub.StartAsync();
        // Each clock read moves a second: every acknowledged batch is due a progress line.
        var time = new ManualTimeProvider { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        var runner = new CliRunner { Input = string.Concat(Enumerable.Range(1, 20_000).Select(i => $"line {i}\n")), Time = time };

        var result = await runner.RunAsync("send", "--url", hub.Url, "--batch-size", "1000");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("acknowledged 20000 entries in 20 batches: ids 1-20000", result.Out.Trim());
        Assert.Matches(@"lifeline: sent [\d,]+ entries in [\d.]+ s \([\d,]+ entries/s\)\n(.|\n)*lifeline: sent", result.Error); // more than one progress line
        Assert.Matches(@"lifeline: sent 20,000 entries in [\d.]+ s \([\d,]+ entries/s\)", result.Error);
    }

    /// <summary>Issue 15 point 6: <c>send FILE</c> published the path as a message and exited 0 without a word.</summary>
    [Fact]
    public async Task Send_LoneArgumentNamingAFile_SendsItAsAMessage_WarnsToUseFile()
    {
        await using var hub = await ServedHub.StartAsync();
        var path = Path.GetTempFileName();
        try
        {
            var result = await new CliRunner().RunAsync("send", "--url", hub.Url, path);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal($"lifeline: warning: '{path}' is a file; sending its name as the message (to send its lines: lifeline send --file {path})", Assert.Single(result.ErrorLines));
            Assert.Equal(path, Assert.Single(await hub.AllEntriesAsync()).GetProperty("message").GetString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Send_File_EachLineOneEntry()
    {
        await using var hub = await ServedHub.StartAsync();
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, ServedHub.Numbered(1, 3));

            var result = await new CliRunner { Input = "not this\n" }.RunAsync("send", "--url", hub.Url, "--ndjson", "--file", path);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal("acknowledged 3 entries in 1 batch: ids 1-3", result.Out.Trim());
            Assert.Equal(["entry 1", "entry 2", "entry 3"], (await hub.AllEntriesAsync()).Select(e => e.GetProperty("message").GetString()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Send_FileDash_ReadsStandardInput()
    {
        await using var hub = await ServedHub.StartAsync();

        var result = await new CliRunner { Input = "from stdin\n" }.RunAsync("send", "--url", hub.Url, "--file", "-");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("from stdin", Assert.Single(await hub.AllEntriesAsync()).GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("--file /nonexistent/app.log", 2, "lifeline: cannot read --file '/nonexistent/app.log': no such file")]
    [InlineData("--file - hello", 2, "lifeline: give either a message or --file, not both")]
    public async Task Send_BadFileUse_OneLine(string args, int exitCode, string expected)
    {
        var result = await CliRunner.RunOnceAsync(["send", "--url", Ports.RefusingUrl(), .. args.Split(' ')]);

        Assert.Equal(exitCode, result.ExitCode);
        Assert.StartsWith(expected, Assert.Single(result.ErrorLines));
    }

    /// <summary>Issue 15 point 6: the 403 line said the missing scope twice (the CLI's words, then the hub's).</summary>
    [Fact]
    public async Task Send_KeyWithoutWriteScope_SaysWhyOnce()
    {
        using var keys = new KeysFile();
        await using var hub = await ServedHub.StartAsync("--keys", keys.Path);

        var result = await new CliRunner().RunAsync("send", "--url", hub.Url, "--key", "read-key", "hello");

        Assert.Equal(4, result.ExitCode);
        Assert.Equal($"lifeline: the hub at {hub.Url} refused the request (403 forbidden): the key lacks the 'write' scope", Assert.Single(result.ErrorLines));
    }

    /// <summary>Issue 15 point 7: send retries wait the resilient client's jittered backoff, not a fixed doubling of its own.</summary>
    [Fact]
    public void SendBackoff_IsTheClientsJitteredBackoff_250MsDoublingTo5S()
    {
        var backoff = new LogSenderOptions().Backoff;

        Assert.Equal(TimeSpan.FromMilliseconds(250), backoff.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), backoff.MaxDelay);
        var third = Enumerable.Range(0, 200).Select(_ => backoff.GetBackoffDelay(3)).ToList();
        Assert.All(third, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.True(third.Distinct().Count() > 1, "every delay was the same: no jitter");
        Assert.All(Enumerable.Range(0, 200).Select(_ => backoff.GetBackoffDelay(30)), d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(5)));
    }

    /// <summary>Endless standard input that counts what was read.</summary>
    private sealed class EndlessReader : TextReader
    {
        private int _lines;

        public int LinesRead => Volatile.Read(ref _lines);

        public override string ReadLine() => $"line {Interlocked.Increment(ref _lines)}";

        public override ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult<string?>(ReadLine());
        }
    }
}
