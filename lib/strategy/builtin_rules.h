// The rule classes of the built-in strategies, for code that instantiates itself per rule type
// with builtin_strategies.def (the backtest engine's loop). One include per line of that list.
#pragma once

#include "strategy/breakout.h"
#include "strategy/donchian.h"
#include "strategy/rsi_reversion.h"
#include "strategy/sma_cross.h"
