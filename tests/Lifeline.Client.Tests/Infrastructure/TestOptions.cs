using Lifeline.Testing.Time;

namespace Lifeline.Client.Tests.Infrastructure;

internal static class TestOptions
{
    /// <summary>Options for tests: deterministic jitter (always the full backoff ceiling), 1 s base delay, pings off
    /// (dead-peer tests turn them on), and the given clock.</summary>
    public static LifelineClientOptions For(Uri uri, TimeProvider? time = null) => new()
    {
        Uri = uri,
        TimeProvider = time ?? new ManualTimeProvider(),
        KeepAliveInterval = TimeSpan.Zero,
        Reconnect = new ReconnectOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), Jitter = static () => 1.0 },
    };

    /// <summary><see cref="For(Uri, TimeProvider?)"/> on a new <see cref="ManualTimeProvider"/>, returned in <paramref name="time"/>.</summary>
    public static LifelineClientOptions For(Uri uri, out ManualTimeProvider time) => For(uri, time = new ManualTimeProvider());
}
