using Lifeline.Hub.Client.Shipping;
using Microsoft.Extensions.Logging;

namespace Lifeline.Extensions.Logging;

/// <summary>
/// An <see cref="ILoggerProvider"/> that ships every log call to a Lifeline hub: batched, acknowledged, bounded,
/// never blocking the application (see docs/logging.md).
/// </summary>
/// <remarks>
/// Thread-safe. Disposing flushes what is buffered, waiting at most <see cref="LogShippingOptions.ShutdownTimeout"/>;
/// prefer <see cref="DisposeAsync"/> (the host's service provider uses it) over <see cref="Dispose"/>, which blocks.
/// </remarks>
[ProviderAlias("Lifeline")]
public sealed class LifelineLoggerProvider : ILoggerProvider, ISupportExternalScope, IAsyncDisposable
{
    /// <summary>Creates the provider and starts shipping to <see cref="LogShippingOptions.Url"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="LogShippingOptions.Validate"/>).</exception>
    public LifelineLoggerProvider(LifelineLoggerOptions options)
        : this(Validated(options), static o => HubBatchPublisher.Create(o))
    {
    }

    internal LifelineLoggerProvider(LifelineLoggerOptions options, Func<LogShippingOptions, ILogBatchPublisher> publisherFactory)
    {
        IncludeScopes = options.IncludeScopes;
        TimeProvider = options.TimeProvider;
        Shipper = new LogShipper(options, publisherFactory(options));
    }

    internal LogShipper Shipper { get; }

    internal bool IncludeScopes { get; }

    internal TimeProvider TimeProvider { get; }

    internal IExternalScopeProvider? ScopeProvider { get; private set; }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new LifelineLogger(categoryName, this);

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => ScopeProvider = scopeProvider;

    /// <summary>Flushes what is buffered (within the shutdown deadline) and stops. Idempotent.</summary>
    public ValueTask DisposeAsync() => Shipper.DisposeAsync();

    /// <summary>Like <see cref="DisposeAsync"/>, blocking the caller until the flush ends or its deadline passes.</summary>
    public void Dispose() => Shipper.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static LifelineLoggerOptions Validated(LifelineLoggerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
