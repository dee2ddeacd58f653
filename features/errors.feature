Feature: Requests ThingSpace refuses at once
  Problems ThingSpace can see in the request itself come back synchronously
  as HTTP 400 with an errorCode; clients code against the code.

  Background:
    Given the simulator is reset

  @client @refusals
  Scenario: An unknown device
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456789999"
    Then the request is refused with status 400 and error "UnifiedWebService.REQUEST_FAILED.DeviceNotFound"

  @client @refusals
  Scenario: An unknown account
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008" of account "9999999999-00001"
    Then the request is refused with status 400 and error "UnifiedWebService.REQUEST_FAILED.AccountNotFound"

  @client @refusals
  Scenario: A suspended device
    When the client deletes profile "89148000000840784267" from device "666456789123456789123456784015"
    Then the request is refused with status 400 and error "UnifiedWebService.INPUT_INVALID.DeviceState.Invalid"

  @http @simulator
  Scenario Outline: A malformed body names the offending field
    When a logged-in caller posts a delete whose body is <body>
    Then the answer is 400 with error "<code>" naming "<field>"

    Examples:
      | body                          | code                                                       | field                       |
      | without accountName           | UnifiedWebService.INPUT_INVALID.Account.NotDefined          | /accountName                |
      | with an EID of 5 digits       | UnifiedWebService.INPUT_INVALID.Device.Identifier.Invalid   | /devices/0/deviceIds/0/id   |
      | with an identifier kind imsi  | UnifiedWebService.INPUT_INVALID.Device.Kind.Invalid         | /devices/0/deviceIds/1/kind |
      | not JSON                      | UnifiedWebService.REQUEST_FAILED.UnexpectedError            | not valid JSON              |
      | empty                         | UnifiedWebService.INPUT_INVALID.RequestUndefined            | empty                       |
