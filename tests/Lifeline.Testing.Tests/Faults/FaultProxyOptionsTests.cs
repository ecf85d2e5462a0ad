using System.Net;
using Lifeline.Testing.Faults;

namespace Lifeline.Testing.Tests.Faults;

public class FaultProxyOptionsTests
{
    [Fact]
    public void Defaults_AreValid()
    {
        var options = new FaultProxyOptions();

        options.Validate();
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0), options.ListenEndPoint);
        Assert.Same(TimeProvider.System, options.TimeProvider);
    }

    [Fact]
    public async Task InvalidOptions_ThrowNamingTheOption()
    {
        var upstream = new IPEndPoint(IPAddress.Loopback, 1);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => FaultProxy.StartAsync(upstream, new FaultProxyOptions { BufferSize = 0 }));
        Assert.Equal("BufferSize", error.ParamName);
        error = await Assert.ThrowsAsync<ArgumentException>(() => FaultProxy.StartAsync(upstream, new FaultProxyOptions { ListenEndPoint = new IPEndPoint(IPAddress.Any, 0) }));
        Assert.Equal("ListenEndPoint", error.ParamName);
        error = await Assert.ThrowsAsync<ArgumentException>(() => FaultProxy.StartAsync(upstream, new FaultProxyOptions { TimeProvider = null! }));
        Assert.Equal("TimeProvider", error.ParamName);
    }

    [Fact]
    public async Task FaultSetters_RejectNegativeValues()
    {
        await using var proxy = await FaultProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, 1));

        Assert.Throws<ArgumentOutOfRangeException>(() => proxy.SetLatency(Direction.Both, TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => proxy.SetBandwidth(Direction.Both, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = proxy.WaitForConnectionsAsync(0); });
    }
}
