using Lifeline.Hub.Ingest;
using Lifeline.Testing.Time;

namespace Lifeline.Hub.Tests.Ingest;

/// <summary>
/// The ingest flood limit as docs/hub.md states it (MaxMessagesPerSecond per socket, bursts of twice that), driven by a
/// fake clock. System.Threading.RateLimiting's TokenBucketRateLimiter (issue 15 point 7) failed this test: it refills by
/// the Stopwatch, not the TimeProvider (rate 5: 0 tokens after 0.5 s of fake time instead of 2).
/// </summary>
public class TokenBucketTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(1_000)]
    public void Burst_IsTwiceTheRate_ThenRefillsAtTheRate_UpToTheBurst(int rate)
    {
        var time = new ManualTimeProvider();
        var bucket = new TokenBucket(rate, time);

        Assert.Equal(2 * rate, Take(bucket, 10 * rate)); // the burst, and no more while the clock stands still

        time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(rate / 2, Take(bucket, 10 * rate)); // half a second refills half a second's worth

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(2 * rate, Take(bucket, 10 * rate)); // a long silence refills the burst, not more
    }

    private static int Take(TokenBucket bucket, int attempts) => Enumerable.Range(0, attempts).Count(_ => bucket.TryTake());
}
