@client
Feature: The SM-SR's rules for deleting a profile
  A delete removes a local profile. When it was the enabled one, the
  bootstrap (fall-back) profile takes over. The bootstrap profile itself
  cannot be deleted, and a device takes one profile change at a time.

  Background:
    Given the simulator is reset
    And the client's listener is registered for account "1223334444-00001"

  @results
  Scenario: Deleting the enabled local profile hands over to the bootstrap profile
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"
    And device "666456789123456789123456784008" has profile "11245055053268336886" enabled
    And device "666456789123456789123456784008" no longer holds profile "89148000000840784259"

  @results
  Scenario: Deleting the bootstrap profile fails, whatever the device's scenario
    Given device "666456789123456789123456784008" runs the "immediate-success" scenario
    When the client deletes profile "11245055053268336886" from device "666456789123456789123456784008"
    Then the client's final result for device "666456789123456789123456784008" is "Failed" with euicc status "FAILED"
    And the client's final result for device "666456789123456789123456784008" has code "8.2.3/3.8"
    And device "666456789123456789123456784008" has profile "89148000000840784259" enabled

  @results
  Scenario: Deleting a profile the device does not hold fails
    When the client deletes profile "89148000000840799999" from device "666456789123456789123456784008"
    Then the client's final result for device "666456789123456789123456784008" is "Failed" with euicc status "FAILED"
    And the client's final result for device "666456789123456789123456784008" has code "8.2.1/3.9"

  @results
  Scenario: A second action on a busy device fails
    Given device "666456789123456789123456784008" runs the "warning-then-success" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    And the client deletes profile "89148000000840784259" from device "666456789123456789123456784008" again
    Then the client's final result of the second request for device "666456789123456789123456784008" is "Failed" with code "1.2/4.4"
    When 10 minutes pass
    Then the client's final result of the first request for device "666456789123456789123456784008" is "Success" with code "1.2.365"
    And device "666456789123456789123456784008" has profile "11245055053268336886" enabled

  @results
  Scenario: Several devices in one request, each with its own outcome
    Given device "666456789123456789123456784012" runs the "warning-then-success" scenario
    And device "666456789123456789123456784013" runs the "unreachable-then-failure" scenario
    When the client deletes these profiles in one request:
      | eid                            | iccid                |
      | 666456789123456789123456784008 | 89148000000840784259 |
      | 666456789123456789123456784012 | 89148000000840784264 |
      | 666456789123456789123456784013 | 89148000000840784265 |
      | 666456789123456789123456784010 | 11245055053268336888 |
    And 30 minutes pass
    Then the client's final results are:
      | eid                            | status  | euicc status     |
      | 666456789123456789123456784008 | Success | EXECUTED_SUCCESS |
      | 666456789123456789123456784012 | Success | EXECUTED_SUCCESS |
      | 666456789123456789123456784013 | Failed  | EXPIRED          |
      | 666456789123456789123456784010 | Failed  | FAILED           |
