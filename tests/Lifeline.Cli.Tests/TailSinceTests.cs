using Lifeline.Cli.Commands;
using Lifeline.Testing.Time;

namespace Lifeline.Cli.Tests;

public class TailSinceTests
{
    [Fact]
    public void Since_Integer_IsAnId()
    {
        Assert.Equal((1042L, (DateTimeOffset?)null), TailCommand.ParseSince("1042", TimeProvider.System));
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    public void Since_Age_IsRelativeToTheClock(string value, int seconds)
    {
        var time = new ManualTimeProvider();

        var (id, from) = TailCommand.ParseSince(value, time);

        Assert.Null(id);
        Assert.Equal(time.GetUtcNow() - TimeSpan.FromSeconds(seconds), from);
    }

    [Fact]
    public void Since_Timestamp_IsAbsolute()
    {
        var (_, from) = TailCommand.ParseSince("2026-12-01T21:50:00Z", TimeProvider.System);

        Assert.Equal(new DateTimeOffset(2026, 12, 1, 21, 50, 0, TimeSpan.Zero), from);
    }
}
