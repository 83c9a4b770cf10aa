#include "engine/types/geo/geo_area.h"

#include <cmath>
#include <numbers>

namespace tierkv {
namespace {

constexpr double kDegreesToRadians = std::numbers::pi / 180.0;

double ToRadians(double degrees) { return degrees * kDegreesToRadians; }
double ToDegrees(double radians) { return radians / kDegreesToRadians; }

}  // namespace

double GeoDistance(double lon1, double lat1, double lon2, double lat2) {
  // Redis 7.2 short-cuts equal longitudes to R * |dlat|, which can differ from this in the
  // last bits; we compute what the 7.0 reference server does, for byte-identical replies.
  const double lat1r = ToRadians(lat1);
  const double lon1r = ToRadians(lon1);
  const double lat2r = ToRadians(lat2);
  const double lon2r = ToRadians(lon2);
  const double u = std::sin((lat2r - lat1r) / 2);
  const double v = std::sin((lon2r - lon1r) / 2);
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(u * u + std::cos(lat1r) * std::cos(lat2r) * v * v));
}

bool GeoWithinShape(const GeoShape& shape, GeoCoordinates point, double* distance) {
  const GeoCoordinates& c = shape.center;
  if (shape.kind == GeoShape::Kind::kRadius) {
    *distance = GeoDistance(c.longitude, c.latitude, point.longitude, point.latitude);
    // Written as Redis tests it, so a NaN distance (antipodes, rounding) is inside.
    return !(*distance > shape.radius * shape.to_meters);
  }
  const double width = shape.width * shape.to_meters;
  const double height = shape.height * shape.to_meters;
  // East-west along the point's parallel, north-south along its meridian.
  const double long_distance = GeoDistance(point.longitude, point.latitude, c.longitude, point.latitude);
  const double lat_distance = GeoDistance(point.longitude, point.latitude, point.longitude, c.latitude);
  if (long_distance > width / 2 || lat_distance > height / 2) return false;
  *distance = GeoDistance(c.longitude, c.latitude, point.longitude, point.latitude);
  return true;
}

std::array<double, 4> GeoBoundingBox(const GeoShape& shape) {
  const bool circle = shape.kind == GeoShape::Kind::kRadius;
  const double longitude = shape.center.longitude;
  const double latitude = shape.center.latitude;
  const double height = shape.to_meters * (circle ? shape.radius : shape.height / 2);
  const double width = shape.to_meters * (circle ? shape.radius : shape.width / 2);
  const double lat_delta = ToDegrees(height / kEarthRadiusMeters);
  // A parallel is shorter nearer a pole, so the same width spans more degrees there: the
  // box takes the wider of its two edges (the poleward one).
  const double long_delta_top = ToDegrees(width / kEarthRadiusMeters / std::cos(ToRadians(latitude + lat_delta)));
  const double long_delta_bottom = ToDegrees(width / kEarthRadiusMeters / std::cos(ToRadians(latitude - lat_delta)));
  const bool southern = latitude < 0;
  const double long_delta = southern ? long_delta_bottom : long_delta_top;
  return {longitude - long_delta, latitude - lat_delta, longitude + long_delta, latitude + lat_delta};
}

uint8_t GeoEstimateSteps(double range_meters, double latitude) {
  if (range_meters == 0) return kGeoStepMax;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    ++step;
  }
  step -= 2;  // one cell's size comfortably covers the range in most cases
  // Meridians converge towards the poles: cells get narrower, so use bigger ones.
  if (latitude > 66 || latitude < -66) {
    --step;
    if (latitude > 80 || latitude < -80) --step;
  }
  if (step < 1) step = 1;
  if (step > kGeoStepMax) step = kGeoStepMax;
  return static_cast<uint8_t>(step);
}

GeoSearchCells GeoCellsForShape(const GeoShape& shape) {
  const std::array<double, 4> bounds = GeoBoundingBox(shape);
  const double min_lon = bounds[0];
  const double min_lat = bounds[1];
  const double max_lon = bounds[2];
  const double max_lat = bounds[3];
  const double longitude = shape.center.longitude;
  const double latitude = shape.center.latitude;
  // A box is estimated by its half-diagonal, the distance from its centre to a corner.
  const double half_width = shape.width / 2;
  const double half_height = shape.height / 2;
  double radius_meters = shape.kind == GeoShape::Kind::kRadius
                             ? shape.radius
                             : std::sqrt(half_width * half_width + half_height * half_height);
  radius_meters *= shape.to_meters;

  uint8_t steps = GeoEstimateSteps(radius_meters, latitude);
  GeoHashBits hash = GeoHashEncodeWgs84(longitude, latitude, steps).value_or(GeoHashBits{});
  GeoNeighbors neighbors = GeoHashNeighbors(hash);
  GeoArea area = GeoHashDecode(kGeoLongRange, kGeoLatRange, hash);

  // Near a cell edge the estimated cells can be too small for the neighbours to reach
  // the whole bounding box: then use cells of one step less (twice as large).
  const GeoArea north = GeoHashDecode(kGeoLongRange, kGeoLatRange, neighbors.north);
  const GeoArea south = GeoHashDecode(kGeoLongRange, kGeoLatRange, neighbors.south);
  const GeoArea east = GeoHashDecode(kGeoLongRange, kGeoLatRange, neighbors.east);
  const GeoArea west = GeoHashDecode(kGeoLongRange, kGeoLatRange, neighbors.west);
  const bool too_small = north.latitude.max < max_lat || south.latitude.min > min_lat ||
                         east.longitude.max < max_lon || west.longitude.min > min_lon;
  if (steps > 1 && too_small) {
    --steps;
    hash = GeoHashEncodeWgs84(longitude, latitude, steps).value_or(GeoHashBits{});
    neighbors = GeoHashNeighbors(hash);
    area = GeoHashDecode(kGeoLongRange, kGeoLatRange, hash);
  }

  // Drop the neighbours on a side the bounding box does not reach past the centre cell.
  if (steps >= 2) {
    if (area.latitude.min < min_lat) neighbors.south = neighbors.south_west = neighbors.south_east = GeoHashBits{};
    if (area.latitude.max > max_lat) neighbors.north = neighbors.north_east = neighbors.north_west = GeoHashBits{};
    if (area.longitude.min < min_lon) neighbors.west = neighbors.south_west = neighbors.north_west = GeoHashBits{};
    if (area.longitude.max > max_lon) neighbors.east = neighbors.south_east = neighbors.north_east = GeoHashBits{};
  }

  GeoSearchCells result;
  result.cells = {hash,
                  neighbors.north,
                  neighbors.south,
                  neighbors.east,
                  neighbors.west,
                  neighbors.north_east,
                  neighbors.north_west,
                  neighbors.south_east,
                  neighbors.south_west};
  result.center_area = area;
  return result;
}

}  // namespace tierkv
