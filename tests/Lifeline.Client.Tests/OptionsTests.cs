namespace Lifeline.Client.Tests;

/// <summary>Bad options get a clear error naming the option; good ones are copied at construction.</summary>
public class OptionsTests
{
    public static TheoryData<string, Action<LifelineClientOptions>> InvalidOptions => new()
    {
        { "Uri", o => o.Uri = null },
        { "Uri", o => o.Uri = new Uri("http://127.0.0.1/ws") },
        { "ConnectTimeout", o => o.ConnectTimeout = TimeSpan.Zero },
        { "KeepAliveInterval", o => o.KeepAliveInterval = TimeSpan.FromSeconds(-1) },
        { "KeepAliveTimeout", o => o.KeepAliveTimeout = TimeSpan.Zero },
        { "InactivityTimeout", o => o.InactivityTimeout = TimeSpan.Zero },
        { "CloseTimeout", o => o.CloseTimeout = TimeSpan.Zero },
        { "MaxMessageBytes", o => o.MaxMessageBytes = 0 },
        { "ReceiveBufferCapacity", o => o.ReceiveBufferCapacity = 0 },
        { "TimeProvider", o => o.TimeProvider = null! },
        { "Reconnect", o => o.Reconnect = null! },
        { "Reconnect.BaseDelay", o => o.Reconnect.BaseDelay = TimeSpan.FromSeconds(-1) },
        { "Reconnect.MaxDelay", o => o.Reconnect.MaxDelay = TimeSpan.FromMilliseconds(1) },
        { "Reconnect.MaxAttempts", o => o.Reconnect.MaxAttempts = 0 },
        { "SendBuffer.Capacity", o => o.SendBuffer.Capacity = 0 },
        { "SendBuffer.OverflowPolicy", o => o.SendBuffer.OverflowPolicy = (SendOverflowPolicy)42 },
        { "SendBuffer.TimeToLive", o => o.SendBuffer.TimeToLive = TimeSpan.Zero },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void AnInvalidOption_IsRejected_ByName(string name, Action<LifelineClientOptions> breakIt)
    {
        var options = new LifelineClientOptions { Uri = new Uri("ws://127.0.0.1/ws") };
        breakIt(options);

        var error = Assert.Throws<ArgumentException>(() => new LifelineClient(options));

        Assert.Equal(name, error.ParamName);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_AreCopied_SoLaterChangesHaveNoEffect()
    {
        await using var hanging = Infrastructure.HangingServer.Start();
        var options = new LifelineClientOptions { Uri = hanging.Uri };
        await using var client = new LifelineClient(options);

        options.Uri = new Uri("ws://127.0.0.1:9/elsewhere");
        options.Reconnect.MaxDelay = TimeSpan.Zero;
        await client.StartAsync(CancellationToken.None);

        await Lifeline.Testing.Tasks.TaskTimeoutExtensions.OrTimeout(hanging.FirstAccept, TimeSpan.FromSeconds(30)); // the URI it was built with
        Assert.Equal(ClientState.Connecting, client.State);
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new LifelineClientOptions();

        Assert.Equal(TimeSpan.FromSeconds(15), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.KeepAliveTimeout);
        Assert.Null(options.InactivityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.CloseTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Reconnect.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Reconnect.MaxDelay);
        Assert.Null(options.Reconnect.MaxAttempts);
        Assert.Equal(1000, options.SendBuffer.Capacity);
        Assert.Equal(SendOverflowPolicy.Fail, options.SendBuffer.OverflowPolicy);
        Assert.Equal(1024 * 1024, options.MaxMessageBytes);
        Assert.Equal(1024, options.ReceiveBufferCapacity);
        Assert.Same(TimeProvider.System, options.TimeProvider);
        Assert.True(options.TrackUnstoppedClients); // on in this test assembly through the AppContext switch in its csproj
    }
}
