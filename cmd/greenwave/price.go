package main

import (
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/greenwave-project/greenwave/wire"
)

// The planner's price flags (controller.Config.Price and ClassPrices,
// docs/planner.md).

// priceFlag is --price: the vehicle-seconds of the other traffic's delay
// one second of an emergency vehicle's delay is worth, a number ≥ 0 or
// inf. Unset, the engine's default.
type priceFlag struct{ p **float64 }

func (f priceFlag) String() string {
	if f.p == nil || *f.p == nil {
		return ""
	}
	return formatPrice(**f.p)
}

func (f priceFlag) Set(s string) error {
	v, err := parsePrice(s)
	if err != nil {
		return err
	}
	*f.p = &v
	return nil
}

// classPricesFlag is --class-prices CLASS=PRICE,...: a price per vehicle
// class (controller.Config.ClassPrices). A vehicle's class comes from
// Config.Classes — the vehicle registry fills it — and a vehicle with no
// class, or a class with no price here, has --price.
type classPricesFlag struct{ m *map[string]float64 }

func (f classPricesFlag) String() string {
	if f.m == nil || len(*f.m) == 0 {
		return ""
	}
	classes := make([]string, 0, len(*f.m))
	for c := range *f.m {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	parts := make([]string, len(classes))
	for i, c := range classes {
		parts[i] = c + "=" + formatPrice((*f.m)[c])
	}
	return strings.Join(parts, ",")
}

func (f classPricesFlag) Set(s string) error {
	m := map[string]float64{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		class, price, ok := strings.Cut(kv, "=")
		class = strings.TrimSpace(class)
		if !ok || !wire.ValidID(class) {
			return errors.New("want CLASS=PRICE,... with classes like ambulance or fire, got " + strconv.Quote(kv))
		}
		if _, dup := m[class]; dup {
			return errors.New("class " + strconv.Quote(class) + " given twice")
		}
		v, err := parsePrice(price)
		if err != nil {
			return errors.New(class + ": " + err.Error())
		}
		m[class] = v
	}
	*f.m = m
	return nil
}

func parsePrice(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "inf" {
		return math.Inf(1), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, errors.New("a price is a number ≥ 0 of vehicle-seconds per second, or inf; got " + strconv.Quote(s))
	}
	return v, nil
}

func formatPrice(v float64) string {
	if math.IsInf(v, 1) {
		return "inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
