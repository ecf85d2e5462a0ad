namespace Lifeline.Testing.Time;

public sealed partial class ManualTimeProvider
{
    /// <summary>A timer driven by its provider's clock. State is guarded by the provider's lock.</summary>
    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state, ExecutionContext? context) : ITimer
    {
        private static readonly TimeSpan MaxSupported = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

        private bool _disposed;

        /// <summary>When the timer next fires; null when disarmed.</summary>
        public DateTimeOffset? DueAt { get; set; }

        /// <summary>Zero for a one-shot timer.</summary>
        public TimeSpan Period { get; private set; }

        /// <summary>Arming order, to fire timers due at the same instant in the order they were armed.</summary>
        public long Sequence { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Validate(dueTime, nameof(dueTime));
            Validate(period, nameof(period));
            lock (owner._gate)
            {
                if (_disposed)
                {
                    return false;
                }

                // Like System.Threading.Timer: an infinite or zero period means one-shot.
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    owner.Disarm(this);
                    return true;
                }

                DueAt = owner._now + dueTime;
                Sequence = ++owner._armSequence;
                if (!owner._armed.Contains(this))
                {
                    owner._armed.Add(this);
                    owner._armedWaiters.Publish(owner._armed.Count);
                }

                return true;
            }
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                _disposed = true;
                owner.Disarm(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        public void Invoke()
        {
            if (context is null)
            {
                callback(state);
            }
            else
            {
                ExecutionContext.Run(context, static s => ((ManualTimer)s!).InvokeCore(), this);
            }
        }

        private void InvokeCore() => callback(state);

        private static void Validate(TimeSpan value, string name)
        {
            if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.Zero || value > MaxSupported))
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be Timeout.InfiniteTimeSpan or between zero and 4294967294 ms.");
            }
        }
    }
}
